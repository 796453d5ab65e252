"""Step Functions under thread exhaustion and over long runs: nothing accepted is lost, memory is bounded.

Each test runs LocalStack's real Step Functions provider (2026.3.0) inside LocalStack's venv, with or
without our patches (scones_localstack.stepfunctions.executions / retention), and makes the operating
system refuse threads the way it does on a loaded host (``Thread.start`` raising ``RuntimeError: can't
start new thread``). Without the patches the first two tests reproduce issue #12's soak: an accepted
execution RUNNING forever, StopExecution failing on ``'NoneType' object has no attribute 'set_stop'``.

AWS references:
- StartExecution's errors (botocore ``stepfunctions`` model, operation ``StartExecution``) have no
  "try again" shape; AWS's common errors do: ``ServiceUnavailable``, HTTP 503, "The request has failed
  due to a temporary failure of the server"
  (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html). botocore retries
  any 503 (``botocore/data/_retry.json`` ``service_unavailable``; standard mode
  ``TransientRetryableChecker._TRANSIENT_STATUS_CODES``), so a refused start is retried, not lost.
- StopExecution stops any RUNNING execution (``ExecutionAborted``; API_StopExecution).
- A closed execution is kept 90 days, then DescribeExecution answers ``ExecutionDoesNotExist``
  (botocore model shape ``ExecutionDoesNotExist``; quotas page "Execution history retention time",
  https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Ours keeps the most recent
  ``SCONES_SFN_EXECUTION_RETENTION`` finished executions instead (a documented difference).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.helpers.localstack_venv import run_probe

PROBE = r"""
import json, sys, threading, time
from unittest import mock

patched, scenario = sys.argv[1] == "patched", sys.argv[2]
from scones_localstack import hooks
if patched:
    hooks.run_or_refuse_executions()
    hooks.bound_finished_executions()
from localstack.aws.api import RequestContext, ServiceException
from localstack.aws.api.stepfunctions import ExecutionStatus
from localstack.services.stepfunctions.provider import StepFunctionsProvider
from localstack.services.stepfunctions.backend.execution import Execution

# EventBridge is not under test: no gateway runs here to receive status-change events.
Execution._get_events_client = lambda self: mock.MagicMock()
ctx = RequestContext(None)
ctx.account_id, ctx.region = "000000000000", "us-east-1"
sfn = StepFunctionsProvider()
ROLE = "arn:aws:iam::000000000000:role/r"

def machine(name, states):
    definition = json.dumps({"StartAt": next(iter(states)), "States": states})
    return sfn.create_state_machine(ctx, {"name": name, "definition": definition, "roleArn": ROLE})[
        "stateMachineArn"
    ]

def refusing(predicate):
    real = threading.Thread.start
    def start(self):
        if predicate(self):
            raise RuntimeError("can't start new thread")
        return real(self)
    return mock.patch.object(threading.Thread, "start", start)

def wait_ended(arn, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        out = sfn.describe_execution(ctx, execution_arn=arn)
        if out["status"] != "RUNNING":
            return out
        time.sleep(0.01)
    return sfn.describe_execution(ctx, execution_arn=arn)

def error_of(call):
    try:
        call()
        return None
    except ServiceException as e:
        return [e.code, e.status_code]
    except Exception as e:
        return "python " + type(e).__name__

def stop_all(sm):
    stopped = {}
    for item in sfn.list_executions(ctx, state_machine_arn=sm)["executions"]:
        arn = item["executionArn"]
        err = error_of(lambda: sfn.stop_execution(ctx, execution_arn=arn, error="E"))
        stopped[item["name"]] = err or sfn.describe_execution(ctx, execution_arn=arn)["status"]
    return stopped

out = {}
pass_state = {"P": {"Type": "Pass", "End": True}}
if scenario == "worker_refused":
    sm = machine("m", pass_state)
    with refusing(lambda t: True):
        start = lambda: sfn.start_execution(ctx, state_machine_arn=sm, name="one", input="{}")
        out["start"] = error_of(start)
    out["left"] = [e["status"] for e in sfn.list_executions(ctx, state_machine_arn=sm)["executions"]]
    out["stop"] = stop_all(sm)
    # the same name is accepted again once threads are available (botocore's retry of the 503)
    retried = sfn.start_execution(ctx, state_machine_arn=sm, name="one", input="{}")["executionArn"]
    out["retried"] = wait_ended(retried)["status"]
    # a 503 in LocalStack's serializer and back through botocore's parser and retry rules
    from botocore.parsers import create_parser
    from localstack.aws.protocol.serializer import create_serializer
    from localstack.aws.spec import load_service
    from scones_localstack.stepfunctions.executions import service_unavailable
    service = load_service("stepfunctions")
    response = create_serializer(service).serialize_error_to_response(
        service_unavailable(), service.operation_model("StartExecution"), {}, "req-1"
    )
    parsed = create_parser("json").parse(
        {"status_code": response.status_code, "headers": dict(response.headers), "body": response.data},
        service.operation_model("StartExecution").output_shape,
    )
    out["wire"] = [response.status_code, parsed["Error"]["Code"], "Python" in parsed["Error"]["Message"]]
elif scenario == "program_refused":
    sm = machine("m", pass_state)
    # the execution's own thread starts; the program thread it starts next (Program.eval) is refused
    with refusing(lambda t: getattr(getattr(t, "_target", None), "__name__", "") == "eval"):
        arn = sfn.start_execution(ctx, state_machine_arn=sm, name="one", input="{}")["executionArn"]
        described = wait_ended(arn)
    out["status"] = described["status"]
    out["error"] = described.get("error")
    out["cause_has_python"] = "RuntimeError" in (described.get("cause") or "")
    events = sfn.get_execution_history(ctx, execution_arn=arn)["events"]
    out["history"] = [e["type"] for e in events]
    out["stop"] = stop_all(sm)
elif scenario == "orphan_stop":
    # a RUNNING record whose worker never ran: what the unpatched start left behind
    sm = machine("m", pass_state)
    with refusing(lambda t: True):
        error_of(lambda: sfn.start_execution(ctx, state_machine_arn=sm, name="one", input="{}"))
    store = sfn.get_store(ctx)
    if not store.executions:  # patched: the refused start left nothing; make the orphan by hand
        arn = sfn.start_execution(ctx, state_machine_arn=sm, name="one", input="{}")["executionArn"]
        wait_ended(arn)
        orphan = store.executions[arn]
        orphan.exec_status, orphan.stop_date = ExecutionStatus.RUNNING, None
        orphan.exec_worker.env = None
        orphan.exec_worker._scones_thread = None
    out["stop"] = stop_all(sm)
elif scenario == "retention":
    wait = machine("w", {"W": {"Type": "Wait", "Seconds": 3, "End": True}})
    running = sfn.start_execution(ctx, state_machine_arn=wait, name="long", input="{}")["executionArn"]
    sm = machine("m", pass_state)
    arns = []
    for i in range(6):
        arns.append(sfn.start_execution(ctx, state_machine_arn=sm, name=f"e{i}", input="{}")["executionArn"])
        wait_ended(arns[-1])
    def seen(arn):
        return error_of(lambda: sfn.describe_execution(ctx, execution_arn=arn)) or sfn.describe_execution(
            ctx, execution_arn=arn
        )["status"]
    out["described"] = [seen(a) for a in arns]
    out["history"] = [error_of(lambda: sfn.get_execution_history(ctx, execution_arn=a)) for a in arns]
    out["listed"] = len(sfn.list_executions(ctx, state_machine_arn=sm)["executions"])
    out["running"] = seen(running)
elif scenario == "finished_threads":
    import gc
    sm = machine("m", {"P": {"Type": "Pass", "Next": "Q"}, "Q": {"Type": "Pass", "End": True}})
    for i in range(50):
        wait_ended(sfn.start_execution(ctx, state_machine_arn=sm, name=f"e{i}", input="{}")["executionArn"])
    time.sleep(0.2)
    gc.collect()
    dead = [o for o in gc.get_objects() if isinstance(o, threading.Thread) and o.ident and not o.is_alive()]
    out["finished threads still referenced"] = len(dead)
print(json.dumps(out))
"""


def probe(patched: bool, scenario: str, **env: str) -> Any:
    environ = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true", **env}
    return run_probe(PROBE, "patched" if patched else "unpatched", scenario, env=environ)


def test_refused_worker_thread__start_fails_retryably_and_leaves_nothing() -> None:
    """Before: the start raised a Python RuntimeError (a 500 InternalError on the wire, which botocore
    retries under a new name) and left a RUNNING record that StopExecution could not stop."""
    out = probe(True, "worker_refused")
    assert out["start"] == ["ServiceUnavailable", 503]
    assert out["left"] == [] and out["stop"] == {}
    assert out["retried"] == "SUCCEEDED"
    assert out["wire"] == [503, "ServiceUnavailable", False]


def test_refused_worker_thread__unpatched_reproduces_the_lost_execution() -> None:
    """LocalStack as shipped: the loss and the failed stop of issue #12 (kept so the cause stays known)."""
    out = probe(False, "orphan_stop")
    assert out["stop"] == {"one": "python AttributeError"}


def test_refused_program_thread__execution_ends_failed_not_running_forever() -> None:
    """Before: RUNNING forever, history ``[ExecutionStarted]``, and StopExecution could not end it."""
    out = probe(True, "program_refused")
    assert out["status"] == "FAILED"
    assert out["error"] == "States.Runtime" and out["cause_has_python"] is False
    assert out["history"] == ["ExecutionStarted", "ExecutionFailed"]
    assert out["stop"] == {"one": "FAILED"}  # stopping a closed execution changes nothing


def test_stop_execution__a_running_execution_without_worker_is_aborted() -> None:
    """Every RUNNING execution can be stopped: one whose worker never ran is marked ABORTED."""
    assert probe(True, "orphan_stop")["stop"] == {"one": "ABORTED"}


@pytest.mark.parametrize("retention", ["3"])
def test_retention__oldest_finished_executions_answer_does_not_exist(retention: str) -> None:
    """Past ``SCONES_SFN_EXECUTION_RETENTION`` finished executions, the oldest answers
    ``ExecutionDoesNotExist`` (400) to DescribeExecution and GetExecutionHistory, as AWS does for an
    expired one; a RUNNING execution is never dropped (before: all six were kept)."""
    out = probe(True, "retention", SCONES_SFN_EXECUTION_RETENTION=retention)
    gone = ["ExecutionDoesNotExist", 400]
    # the Wait execution is still RUNNING: only the six Pass executions count as finished
    assert out["described"] == [gone, gone, gone, "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
    assert out["history"] == [gone, gone, gone, None, None, None]
    assert out["listed"] == 3
    assert out["running"] == "RUNNING"


def test_finished_execution_threads_are_let_go() -> None:
    """A finished thread that something still references keeps its stack mapped (about 10 KB of RSS
    each, measured): LocalStack kept two per execution in its shutdown list (``TMP_THREADS``), never
    pruned (before: 100 after 50 executions; a soak's thread stacks grew by ~2.7 per execution)."""
    out = probe(True, "finished_threads")
    assert out["finished threads still referenced"] <= 2  # the last one may not be pruned yet
