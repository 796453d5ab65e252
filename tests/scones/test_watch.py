"""ExecutionWatcher's waiting logic, without a service.

A scripted stand-in for the Step Functions client is used here because the case that matters cannot be
produced locally: on AWS, ListExecutions is eventually consistent, so an execution can be missing from
the RUNNING list while DescribeExecution still says RUNNING. LocalStack is always consistent; the
`scones run` integration tests send every run through the watcher against it for real.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from scones.workflow.watch import ExecutionWatcher


class ScriptedStepFunctions:
    """Statuses per execution, changed by the test; ListExecutions can be told to omit some."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses
        self.hidden: set[str] = set()  # RUNNING but not (yet) listed: AWS's eventual consistency
        self.lists = 0
        self.describes: list[str] = []
        self.lock = threading.Lock()

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        with self.lock:
            self.describes.append(executionArn)
            return {"executionArn": executionArn, "status": self.statuses[executionArn]}

    def get_paginator(self, name: str) -> ScriptedStepFunctions:
        assert name == "list_executions"
        return self

    def paginate(self, stateMachineArn: str, statusFilter: str) -> list[dict[str, Any]]:
        assert statusFilter == "RUNNING"
        with self.lock:
            self.lists += 1
            running = [a for a, s in self.statuses.items() if s == "RUNNING" and a not in self.hidden]
        half = len(running) // 2  # two pages, as a paginator may return
        return [
            {"executions": [{"executionArn": a} for a in running[:half]]},
            {"executions": [{"executionArn": a} for a in running[half:]]},
        ]


def test_each_execution_is_described_once_after_it_ends_and_polls_are_shared() -> None:
    arns = [f"arn:execution:{i}" for i in range(8)]
    sfn = ScriptedStepFunctions(dict.fromkeys(arns, "RUNNING"))
    results: dict[str, dict[str, Any]] = {}

    def finish_one_by_one() -> None:
        for i, arn in enumerate(arns):
            time.sleep(0.03)
            with sfn.lock:
                sfn.statuses[arn] = "FAILED" if i == 3 else "SUCCEEDED"

    with ExecutionWatcher(sfn, "arn:stateMachine:m", interval=0.01) as watcher:
        deadline = time.monotonic() + 10
        waiters = [
            threading.Thread(target=lambda a=arn: results.__setitem__(a, watcher.wait(a, deadline)))
            for arn in arns
        ]
        for thread in [*waiters, threading.Thread(target=finish_one_by_one)]:
            thread.start()
        for thread in waiters:
            thread.join()
    assert {a: r["status"] for a, r in results.items()} == {
        a: "FAILED" if i == 3 else "SUCCEEDED" for i, a in enumerate(arns)
    }
    assert sorted(sfn.describes) == sorted(arns)  # one describe each, none while running
    assert sfn.lists < 60  # ~one list per 10 ms for all eight over ~0.25 s, not one per execution


def test_an_execution_missing_from_the_list_but_still_running_is_watched_again() -> None:
    sfn = ScriptedStepFunctions({"arn:execution:late": "RUNNING"})
    sfn.hidden.add("arn:execution:late")

    def settle() -> None:
        time.sleep(0.05)
        with sfn.lock:
            sfn.hidden.clear()  # the list catches up ...
        time.sleep(0.05)
        with sfn.lock:
            sfn.statuses["arn:execution:late"] = "SUCCEEDED"  # ... and then the execution ends

    with ExecutionWatcher(sfn, "arn:stateMachine:m", interval=0.01) as watcher:
        settler = threading.Thread(target=settle)
        settler.start()
        result = watcher.wait("arn:execution:late", deadline=time.monotonic() + 10)
        settler.join()
    assert result["status"] == "SUCCEEDED"
    assert sfn.describes.count("arn:execution:late") >= 2  # described while hidden, then once ended


def test_the_deadline_returns_the_last_description() -> None:
    sfn = ScriptedStepFunctions({"arn:execution:slow": "RUNNING"})
    with ExecutionWatcher(sfn, "arn:stateMachine:m", interval=0.01) as watcher:
        began = time.monotonic()
        result = watcher.wait("arn:execution:slow", deadline=began + 0.1)
    assert result["status"] == "RUNNING"
    assert 0.1 <= time.monotonic() - began < 2.0
    assert sfn.describes == ["arn:execution:slow"]
