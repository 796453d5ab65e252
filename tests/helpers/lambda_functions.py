"""Lambda functions for tests against a real LocalStack: zipped handlers, uniquely named functions that
are active before a test uses them, and bounded polling for what settles asynchronously.

One owner for these so that every Lambda test creates, waits for and deletes functions the same way.
"""

from __future__ import annotations

import contextlib
import io
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from scones.config import LAMBDA_RUNTIME
from tests.helpers.roles import allow, iam_client_like, lambda_role, role_arn

FUNCTIONS = Path(__file__).resolve().parents[1] / "localstack_ext" / "functions"
ROLE_NAME = "lambda-role"
ROLE = role_arn(ROLE_NAME)
# What the test functions do with their role: their logs, the probe's S3 round trip ("s3" action) in the
# buckets test_lambda_executor names exec-*, and sandbox_probe's download from test_lambda_sandbox's
# sandbox-* buckets.
ROLE_STATEMENTS = (
    allow(["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::exec-*/*"),
    allow("s3:GetObject", "arn:aws:s3:::sandbox-*/*"),
)
_ROLE_MADE: set[str] = set()  # endpoints whose stack has the role already
RUNTIME = LAMBDA_RUNTIME  # the runtime the process executor serves (one definition: scones.config)
# No client retries: a failed first attempt must fail the test, not be hidden (or repeated) by a retry.
NO_RETRIES = {"mode": "standard", "total_max_attempts": 1}
# function_active_v2 polls every second by default; 0.2 s keeps tests quick, 300 attempts bound it at 60 s.
ACTIVE_WAIT = {"Delay": 0.2, "MaxAttempts": 300}


def zip_files(files: dict[str, str]) -> bytes:
    """A deployment package holding `files` (archive name -> source text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def handler_zip(source: str) -> bytes:
    """A deployment package with `functions/<source>` as `lambda_function.py`."""
    return zip_files({"lambda_function.py": (FUNCTIONS / source).read_text()})


def poll(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Bounded polling: the condition's first truthy value, or an AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def unique_name(prefix: str) -> str:
    """`prefix` and 8 random hex digits: tests sharing a stack never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_active(client: Any, name: str) -> None:
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=ACTIVE_WAIT)


def execution_role(client: Any) -> str:
    """ROLE, created (once per stack) on the stack `client` talks to: a real role, as AWS requires."""
    endpoint = str(client.meta.endpoint_url)
    if endpoint not in _ROLE_MADE:
        lambda_role(iam_client_like(client), ROLE_NAME, ROLE_STATEMENTS)
        _ROLE_MADE.add(endpoint)
    return ROLE


def create_function(client: Any, name: str, code: bytes, wait: bool = True, **spec: Any) -> str:
    """CreateFunction for `lambda_function.handler` on the test runtime; `spec` adds to or overrides the
    request (a None value leaves the field out). With `wait`, returns once the function is Active."""
    request: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": RUNTIME,
        "Role": execution_role(client) if "Role" not in spec else None,
        "Handler": "lambda_function.handler",
        "Code": {"ZipFile": code},
        **spec,
    }
    client.create_function(**{key: value for key, value in request.items() if value is not None})
    if wait:
        wait_active(client, name)
    return name


@contextlib.contextmanager
def function_factory(client: Any, **defaults: Any) -> Iterator[Callable[..., str]]:
    """Yields `create(prefix, code, wait=True, **spec)`: a uniquely named function (`defaults` under `spec`),
    Active unless `wait` is false; every function created is deleted on exit."""
    created: list[str] = []

    def create(prefix: str, code: bytes, wait: bool = True, **spec: Any) -> str:
        name = create_function(client, unique_name(prefix), code, wait=False, **{**defaults, **spec})
        created.append(name)
        if wait:
            wait_active(client, name)
        return name

    try:
        yield create
    finally:
        for name in created:
            # LocalStack cannot delete a function whose creation failed (500 "Unable to find version
            # manager"), whatever the executor; the stack is thrown away with the session.
            with contextlib.suppress(ClientError):
                client.delete_function(FunctionName=name)
