"""Run a probe script in LocalStack's own interpreter and read the JSON it prints last.

Why: our LocalStack extensions patch LocalStack's modules and ship botocore, which only import in
LocalStack's venv (Python 3.13); the project's tests run on 3.11.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from typing import Any

import pytest

from scones.stack import StackSettings


def run_probe(script: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    """The probe's last stdout line, parsed; skips the test when LocalStack's venv is not built."""
    python = StackSettings().localstack_python
    if not python.exists():
        pytest.skip(f"LocalStack's venv is not built ({python}); `make test` builds it")
    out = subprocess.run(
        [str(python), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=dict(env) if env is not None else None,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
