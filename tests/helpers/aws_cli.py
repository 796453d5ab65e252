"""The AWS CLI (v1, shipped in LocalStack's venv) as a test runs it against a local stack.

One owner for how a test calls a real client we did not write: test credentials, no instance-metadata
lookups, no retries that could hide a refused request, and a HOME of the test's own (no ~/.aws files).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from scones.stack import StackSettings

AWS = StackSettings().localstack_python.parent / "aws"


def run_aws_cli(endpoint_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``aws <args> --endpoint-url <endpoint_url>``; skips the test when the CLI is not installed."""
    if not AWS.exists():
        pytest.skip(f"no AWS CLI at {AWS}")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    command = [str(AWS), *args, "--endpoint-url", endpoint_url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
