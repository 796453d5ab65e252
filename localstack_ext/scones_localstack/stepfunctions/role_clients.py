"""Reuse the Step Functions task clients for a role instead of assuming the role on every task.

Why: for each Task state LocalStack's interpreter calls STS AssumeRole for the state machine's role and
builds a fresh botocore client with the new session credentials (the client cache is keyed by them),
about 20 ms per task here: a third of a warm execution of our three-Lambda workflow. AWS itself keeps
a role session for its lifetime; we keep the client for a few minutes, well inside the credentials'
hour, keyed by service, region and role, so permissions and accounts are exactly as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

TTL_SECONDS = 300.0  # LocalStack's AssumeRole credentials last 3600 s
_MARK = "_scones_cached"


def _cached(build: Callable[..., Any], clock: Callable[[], float] = time.monotonic) -> Callable[..., Any]:
    lock = threading.Lock()
    clients: dict[tuple[str, str, str], tuple[float, Any]] = {}

    def boto_client_for(service: str, region: str, state_credentials: Any) -> Any:
        key = (service, region, state_credentials.role_arn)
        now = clock()
        with lock:
            hit = clients.get(key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            return hit[1]
        client = build(service=service, region=region, state_credentials=state_credentials)
        with lock:
            clients[key] = (now, client)
        return client

    setattr(boto_client_for, _MARK, True)
    return boto_client_for


def install() -> None:
    """Swap the factory in its module and wherever it was already imported by name (idempotent)."""
    from localstack.services.stepfunctions.asl.utils import boto_client

    from scones_localstack.stepfunctions.rebind import rebind

    original = boto_client.boto_client_for
    if not getattr(original, _MARK, False):
        rebind(original, _cached(original))
