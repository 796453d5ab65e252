"""Every StartExecution runs its execution or fails; every RUNNING execution ends or can be stopped.

Why: LocalStack (backend/execution.py, ``Execution.start``) stores an execution, marks it RUNNING and
publishes its RUNNING event, and only then starts the thread that runs it. A thread start can fail
(``RuntimeError: can't start new thread``: pthread_create refused, which happens when the host runs
out of pids or threads or memory because of other work; LocalStack's own count stays flat). Then:
- the execution thread did not start: the record stays RUNNING with a worker whose environment is None
  forever, and StopExecution fails with ``'NoneType' object has no attribute 'set_stop'``; the call
  answered a 500 that botocore retries under a new name, so the client sees a 200 and the orphan stays;
- the thread started but the program's own thread (``Program.eval``) did not: the exception ends the
  execution thread without ending the execution: RUNNING forever with only ``ExecutionStarted``.
Here the first case removes the record and answers ``ServiceUnavailable`` (503: AWS's common error for
"a temporary failure of the server", which botocore retries), the second ends the execution FAILED
with ``States.Runtime``, and StopExecution on a RUNNING execution with no live worker marks it ABORTED,
as AWS does for any RUNNING execution.

Why threads ran out: LocalStack appends every execution's threads (worker, program, one per Task
state: five for our workflow) to its shutdown list ``TMP_THREADS`` and never prunes it. A finished
thread that is still referenced is never joined or detached, so its 8 MB stack stays mapped (about
10 KB resident, and two memory mappings). ``vm.max_map_count`` is 65,530 here: after about 32,000 such
threads (some 6,500 executions) mmap fails and so does every new thread, which is where the soak lost
executions. Finished threads are now pruned from that list at every start, and the worker's own
thread is remembered weakly.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger(__name__)

SERVICE_UNAVAILABLE = "ServiceUnavailable"
NOT_STARTED_MESSAGE = (
    "The execution could not be started: the local runtime could not start a thread for it "
    "(the host is short of threads or memory). Nothing was started; retry the request."
)
RUNTIME_CAUSE = (
    "The local runtime could not continue this execution (it could not start a thread: the host is "
    "short of threads or memory). See LocalStack's log."
)
THREAD_ATTR = "_scones_thread"
ENV_WAIT_SECONDS = 2.0  # a stop that races the worker's first steps waits this long for its environment
_MARK = "_scones_executions"


class WorkerNotStarted(Exception):
    """The operating system refused the execution's thread."""


def service_unavailable() -> Exception:
    """AWS's common 503 error, in LocalStack's error type (serialized in the service's protocol)."""
    from localstack.aws.api import CommonServiceException

    error: Exception = CommonServiceException(SERVICE_UNAVAILABLE, NOT_STARTED_MESSAGE, status_code=503)
    return error


def prune_finished_threads(threads: list[Any]) -> int:
    """Remove threads that have run and ended from LocalStack's shutdown list, in place."""
    finished = [t for t in list(threads) if isinstance(t, threading.Thread) and t.ident and not t.is_alive()]
    for thread in finished:
        with contextlib.suppress(ValueError):  # another caller pruned it first
            threads.remove(thread)
    return len(finished)


def start_worker(worker: Any) -> None:
    """``ExecutionWorker.start`` that says when its thread did not start, and remembers the thread."""
    thread = threading.Thread(target=worker._execution_logic, daemon=True, name="sfn-execution")
    try:
        thread.start()
    except RuntimeError as error:  # "can't start new thread"
        raise WorkerNotStarted(str(error)) from error
    # Weakly: a finished thread someone still references keeps its stack (~10 KB of RSS) for good.
    setattr(worker, THREAD_ATTR, weakref.ref(thread))


def guarded_start(start: Callable[[Any], None], forget: Callable[[Any], None]) -> Callable[[Any], None]:
    """``Execution.start``: a worker that cannot start takes its record with it and fails the call."""

    def start_or_fail(execution: Any) -> None:
        from localstack.utils.threads import TMP_THREADS

        prune_finished_threads(TMP_THREADS)
        try:
            start(execution)
        except WorkerNotStarted as error:
            LOG.error("Execution %s not started: %s", execution.exec_arn, error)
            forget(execution)
            raise service_unavailable() from None

    setattr(start_or_fail, _MARK, True)
    return start_or_fail


def forget_execution(execution: Any) -> None:
    """Drop an execution that never ran from its account's store (only that object, not a namesake)."""
    from localstack.services.stepfunctions.backend.models import sfn_stores

    executions = sfn_stores[execution.account_id][execution.region_name].executions
    if executions.get(execution.exec_arn) is execution:
        executions.pop(execution.exec_arn, None)


def fail_execution(worker: Any, comm: Any) -> None:
    """End an execution whose worker raised: FAILED with ``States.Runtime``, its history closed."""
    from localstack.aws.api.stepfunctions import (
        ExecutionFailedEventDetails,
        ExecutionStatus,
        HistoryEventType,
    )
    from localstack.services.stepfunctions.asl.eval.event.event_detail import EventDetails

    details = ExecutionFailedEventDetails(error="States.Runtime", cause=RUNTIME_CAUSE)
    env = worker.env
    execution = comm.execution
    if env is not None:
        try:
            if env.is_running():
                env.set_error(details)
                env.event_manager.add_event(
                    context=env.event_history_context,
                    event_type=HistoryEventType.ExecutionFailed,
                    event_details=EventDetails(executionFailedEventDetails=details),
                )
            comm.terminated()
        except Exception:
            LOG.exception("Could not close execution %s normally", execution.exec_arn)
    if execution.exec_status == ExecutionStatus.RUNNING:
        execution.exec_status = ExecutionStatus.FAILED
        execution.error, execution.cause = details["error"], details["cause"]
        execution.stop_date = datetime.datetime.now(tz=datetime.UTC)
        execution.publish_execution_status_change_event()
        from scones_localstack.stepfunctions.retention import RETENTION

        RETENTION.finished(execution)


def guarded_logic(logic: Callable[[Any], None]) -> Callable[[Any], None]:
    """``ExecutionWorker._execution_logic`` that always ends its execution."""

    def run_to_an_end(worker: Any) -> None:
        try:
            logic(worker)
        except Exception:
            LOG.exception("Execution worker raised; the execution ends FAILED (States.Runtime)")
            fail_execution(worker, worker._execution_communication)

    setattr(run_to_an_end, _MARK, True)
    return run_to_an_end


def has_live_worker(execution: Any) -> bool:
    """Whether a thread is running this execution (waiting briefly for a just-started one's env)."""
    worker = execution.exec_worker
    ref = getattr(worker, THREAD_ATTR, None) if worker is not None else None
    thread = ref() if ref is not None else None
    if thread is None or not thread.is_alive():
        return False
    deadline = time.monotonic() + ENV_WAIT_SECONDS
    while worker.env is None and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    return worker.env is not None and thread.is_alive()


def guarded_stop(stop: Callable[..., None], on_finished: Callable[[Any], None]) -> Callable[..., None]:
    """``Execution.stop``: a RUNNING execution without a live worker is marked ABORTED right here."""

    def stop_any(execution: Any, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
        from localstack.aws.api.stepfunctions import ExecutionStatus

        if execution.exec_status != ExecutionStatus.RUNNING or has_live_worker(execution):
            worker = execution.exec_worker
            if worker is not None and worker.env is not None:  # else there is nothing left to stop
                stop(execution, stop_date=stop_date, error=error, cause=cause)
            return
        execution.exec_status = ExecutionStatus.ABORTED
        execution.stop_date, execution.error, execution.cause = stop_date, error, cause
        execution.publish_execution_status_change_event()
        on_finished(execution)

    setattr(stop_any, _MARK, True)
    return stop_any


def install() -> None:
    """Idempotent; patches LocalStack's execution classes before the provider uses them."""
    from localstack.services.stepfunctions.backend import execution as execution_module
    from localstack.services.stepfunctions.backend.execution_worker import ExecutionWorker

    from scones_localstack.stepfunctions.retention import RETENTION

    Execution = execution_module.Execution
    if getattr(Execution.start, _MARK, False):
        return
    # Patching LocalStack's classes is the point of this module (mypy: "cannot assign to a method").
    ExecutionWorker.start = start_worker  # type: ignore[method-assign]
    ExecutionWorker._execution_logic = guarded_logic(ExecutionWorker._execution_logic)  # type: ignore[method-assign]
    Execution.start = guarded_start(Execution.start, forget_execution)  # type: ignore[method-assign, assignment]
    Execution.stop = guarded_stop(Execution.stop, RETENTION.finished)  # type: ignore[method-assign]
