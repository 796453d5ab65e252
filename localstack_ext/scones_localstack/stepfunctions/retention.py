"""Keep the most recent finished executions, not all of them: LocalStack's memory stays bounded.

Why: LocalStack keeps every execution it ever ran in its store (record, input, output, the whole event
history), so a long run grows without bound (a 7,000-execution soak: +150 KB per execution). AWS
keeps a closed execution for 90 days and then answers ``ExecutionDoesNotExist`` for it; here the oldest
finished execution past ``SCONES_SFN_EXECUTION_RETENTION`` (per account and region, default 1000) is
forgotten the moment another one finishes, and then answers the same way. RUNNING executions are never
dropped. Express executions started synchronously count too (AWS keeps no record of those at all).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from scones_localstack.stepfunctions.settings import EXECUTION_RETENTION

_MARK = "_scones_retention"


class Retention:
    """Finished executions per (account, region), oldest first; past ``limit`` they leave the store."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._finished: dict[tuple[str, str], deque[Any]] = {}

    def finished(self, execution: Any) -> None:
        """Record that ``execution`` ended; forget the oldest ended ones beyond the limit."""
        if self.limit <= 0:
            return
        key = (execution.account_id, execution.region_name)
        with self._lock:
            ended = self._finished.setdefault(key, deque())
            ended.append(execution)
            expired = [ended.popleft() for _ in range(len(ended) - self.limit)]
        if expired:
            self.forget(key, expired)

    @staticmethod
    def forget(key: tuple[str, str], expired: list[Any]) -> None:
        from localstack.services.stepfunctions.backend.models import sfn_stores

        executions = sfn_stores[key[0]][key[1]].executions
        for execution in expired:
            if executions.get(execution.exec_arn) is execution:  # not a later one of the same name
                executions.pop(execution.exec_arn, None)
            # Execution, worker and worker communication reference each other: without this the
            # history would wait for a full garbage collection, which a large heap rarely runs.
            worker = execution.exec_worker
            if worker is not None:
                worker.env = None


RETENTION = Retention(EXECUTION_RETENTION)


def counted(terminated: Any, retention: Retention) -> Any:
    """``BaseExecutionWorkerCommunication.terminated`` that also tells ``retention``."""

    def terminated_and_counted(comm: Any) -> None:
        try:
            terminated(comm)
        finally:
            retention.finished(comm.execution)

    setattr(terminated_and_counted, _MARK, True)
    return terminated_and_counted


def install() -> None:
    """Idempotent; every way an execution ends goes through ``terminated`` (or our stop, see executions)."""
    from localstack.services.stepfunctions.backend.execution import BaseExecutionWorkerCommunication

    if not getattr(BaseExecutionWorkerCommunication.terminated, _MARK, False):
        terminated = counted(BaseExecutionWorkerCommunication.terminated, RETENTION)
        BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]
