"""boto3 clients for the local target: dummy credentials, one region, the gateway as endpoint."""

from __future__ import annotations

from typing import Any, cast

import boto3
from botocore.config import Config

from scones.config import DEFAULT_REGION

LOCAL_REGION = DEFAULT_REGION  # the local stack serves one region
# LocalStack maps the access key "test" to account 000000000000; nothing here is a secret.
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

# botocore prefixes some hosts (Step Functions StartSyncExecution -> sync-<host>), which cannot
# resolve for 127.0.0.1 offline; local clients never inject host prefixes.
LOCAL_CONFIG = Config(
    inject_host_prefix=False,
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=70,
)


def local_client(service: str, endpoint_url: str, config: Config | None = None) -> Any:
    """A client whose every call goes to the local gateway, whatever the caller's environment says."""
    merged = LOCAL_CONFIG.merge(config) if config else LOCAL_CONFIG
    session = boto3.session.Session(
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=LOCAL_CREDENTIALS["aws_secret_access_key"],
    )
    return cast(Any, session).client(service, endpoint_url=endpoint_url, config=merged)


def shell_exports(endpoint_url: str) -> list[str]:
    """The lines a user pastes into a shell so that any boto3/AWS CLI call goes to this stack."""
    return [
        f"export AWS_ENDPOINT_URL={endpoint_url}",
        f"export AWS_ACCESS_KEY_ID={LOCAL_CREDENTIALS['aws_access_key_id']}",
        f"export AWS_SECRET_ACCESS_KEY={LOCAL_CREDENTIALS['aws_secret_access_key']}",
        f"export AWS_DEFAULT_REGION={LOCAL_REGION}",
        # botocore's switch for `Config(inject_host_prefix=False)`: without it StartSyncExecution goes to
        # sync-127.0.0.1, which cannot resolve (the AWS CLI and SDKs built on boto3 read it too).
        "export AWS_DISABLE_HOST_PREFIX_INJECTION=true",
    ]
