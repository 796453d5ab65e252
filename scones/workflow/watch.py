"""Wait for many executions of one state machine with one status poll per interval.

Why: polling DescribeExecution for every execution in flight costs the service one request per execution
per interval. Locally all of them land on the single LocalStack process that also runs the executions:
with 8 in flight, answering polls took about a seventh of its CPU. One ListExecutions
(``statusFilter=RUNNING``) per interval says which of ours have ended; each of those is then described
once, for its outcome. ListExecutions is eventually consistent on AWS, so an execution missing from the
RUNNING list can still be running when described: it is simply watched again.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

RUNNING = "RUNNING"


class ExecutionWatcher:
    """A context manager: ``with ExecutionWatcher(...) as watcher: watcher.wait(arn, deadline)``."""

    def __init__(self, sfn: Any, state_machine_arn: str, interval: float) -> None:
        self._sfn = sfn
        self._state_machine_arn = state_machine_arn
        self._interval = interval
        self._pending: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="scones-execution-watcher", daemon=True)

    def __enter__(self) -> ExecutionWatcher:
        self._poller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._poller.join()

    def wait(self, execution_arn: str, deadline: float) -> dict[str, Any]:
        """The execution's description once it has ended, or its last description at the deadline
        (``time.monotonic()`` clock)."""
        while True:
            ended = threading.Event()
            with self._lock:
                self._pending[execution_arn] = ended
            ended.wait(timeout=max(0.0, deadline - time.monotonic()))
            with self._lock:
                self._pending.pop(execution_arn, None)
            description = dict(self._sfn.describe_execution(executionArn=execution_arn))
            if description["status"] != RUNNING or time.monotonic() >= deadline:
                return description

    def _poll(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                pending = dict(self._pending)
            if not pending:
                continue
            try:
                running = self._running()
            except (BotoCoreError, ClientError):
                continue  # throttled or briefly unreachable: the next interval asks again
            for arn, ended in pending.items():
                if arn not in running:
                    ended.set()

    def _running(self) -> set[str]:
        pages = self._sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self._state_machine_arn, statusFilter=RUNNING
        )
        return {execution["executionArn"] for page in pages for execution in page["executions"]}
