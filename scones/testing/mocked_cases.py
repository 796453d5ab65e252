"""Run one mocked test case of a deployed state machine and read back the path it took.

Why: a whole-workflow test that needs no endpoint, no image and no Lambda cold start. LocalStack implements
Step Functions Local's mocked service integrations: the stack is started with ``SFN_MOCK_CONFIG`` naming a
MockConfigFile (``scones up --mock-config PATH`` or ``SCONES_SFN_MOCK_CONFIG``), and an execution started
with ``stateMachineArn`` = ``<state machine ARN>#<test case>`` answers each mocked Task state from the file
instead of calling the service. Retry and Catch still run as defined (with their real waits): the case
proves the state machine's decisions, not the Lambdas' code.

The project's own cases live in ``statemachine/mock-config.json`` for the state machine
``scones-workflow``; ``mock_config_for`` re-keys them for another project name (docs/testing.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from scones.config import PROJECT_ROOT

# The project's mock config and the state machine name it is written for (WorkflowSettings' default).
MOCK_CONFIG = PROJECT_ROOT / "statemachine" / "mock-config.json"
MOCK_CONFIG_STATE_MACHINE = "scones-workflow"

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
# Polls start fast (a mocked case ends in milliseconds) and back off to spare the stack on long retries.
_FIRST_POLL_S, _MAX_POLL_S = 0.005, 0.1


class MockedCaseError(RuntimeError):
    """Base of the errors running a mocked case raises."""


class UnknownMockedCaseError(MockedCaseError):
    """Step Functions refused ``<arn>#<case>``: the stack has no mock config, or it lacks that case."""


class MockedCaseTimeoutError(MockedCaseError):
    """The execution had not ended when the timeout ran out (it is left running)."""


@dataclass(frozen=True)
class MockedCaseResult:
    """How one mocked execution ended and every history event on the way (``includeExecutionData``)."""

    case: str
    execution_arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]] = field(repr=False)
    elapsed_s: float

    @property
    def states_entered(self) -> list[str]:
        """State names in the order they were entered (a state entered twice appears twice)."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if "stateEnteredEventDetails" in event
        ]

    def attempts(self, state: str) -> int:
        """How many times the Task ``state`` called its service: 1 + the retries the Retry policy made."""
        return sum(1 for name, event in _events_by_state(self.history) if name == state and _scheduled(event))

    def retries(self, state: str) -> int:
        return max(self.attempts(state) - 1, 0)

    def failures(self, state: str) -> list[tuple[str, str]]:
        """(error, cause) of each failed attempt of the Task ``state``, in order."""
        found = []
        for name, event in _events_by_state(self.history):
            details = event.get("taskFailedEventDetails") or event.get("lambdaFunctionFailedEventDetails")
            if name == state and details is not None:
                found.append((details.get("error", ""), details.get("cause", "")))
        return found

    def describe(self) -> str:
        """A short account for an assertion message: the outcome, then one line per history event."""
        lines = [f"{self.case}: {self.status} in {self.elapsed_s * 1000:.0f} ms ({self.execution_arn})"]
        if self.error is not None:
            lines.append(f"  error={self.error} cause={self.cause}")
        for name, event in _events_by_state(self.history):
            lines.append(f"  #{event['id']:<3} {event['type']:<28} {name or ''}")
        return "\n".join(lines)


def run_mocked_case(
    sfn_client: Any,
    state_machine_arn: str,
    case: str,
    input: Any = None,
    timeout: float = 30.0,
    *,
    name: str | None = None,
) -> MockedCaseResult:
    """Start ``state_machine_arn#case`` with ``input`` (JSON-serialisable), wait for its end, read history.

    Raises ``UnknownMockedCaseError`` when Step Functions answers ``InvalidName`` for the case, and
    ``MockedCaseTimeoutError`` when the execution has not ended within ``timeout`` seconds.
    """
    began = time.monotonic()
    arguments: dict[str, Any] = {
        "stateMachineArn": f"{state_machine_arn}#{case}",
        "input": json.dumps({} if input is None else input),
    }
    if name is not None:
        arguments["name"] = name
    try:
        execution_arn = sfn_client.start_execution(**arguments)["executionArn"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidName":
            raise UnknownMockedCaseError(
                f"mocked case {case!r} of {state_machine_arn}: {exc.response['Error'].get('Message', '')} "
                "(start the stack with `scones up --mock-config PATH` and check that the file's "
                "StateMachines key is the state machine's name)"
            ) from exc
        raise
    description = _wait(sfn_client, execution_arn, began + timeout)
    elapsed = time.monotonic() - began
    output = description.get("output")
    return MockedCaseResult(
        case=case,
        execution_arn=execution_arn,
        status=description["status"],
        output=json.loads(output) if output is not None else None,
        error=description.get("error"),
        cause=description.get("cause"),
        history=_history(sfn_client, execution_arn),
        elapsed_s=elapsed,
    )


def mock_config_for(state_machine_name: str, source: Path = MOCK_CONFIG) -> dict[str, Any]:
    """The mock config at ``source`` with its one state machine re-keyed to ``state_machine_name``.

    LocalStack finds a case by the state machine's *name*, so a project deployed as ``--project shop``
    (state machine ``shop-workflow``) writes this to a file and starts its stack with that file.
    """
    config = json.loads(source.read_text(encoding="utf-8"))
    machines: Mapping[str, Any] = config["StateMachines"]
    if len(machines) != 1:
        raise ValueError(f"{source}: expected one state machine to re-key, found {sorted(machines)}")
    (cases,) = machines.values()
    return {**config, "StateMachines": {state_machine_name: cases}}


def _wait(sfn_client: Any, execution_arn: str, deadline: float) -> dict[str, Any]:
    delay = _FIRST_POLL_S
    while True:
        description: dict[str, Any] = sfn_client.describe_execution(executionArn=execution_arn)
        if description["status"] in _TERMINAL:
            return description
        if time.monotonic() >= deadline:
            raise MockedCaseTimeoutError(f"{execution_arn} still {description['status']} at the timeout")
        time.sleep(delay)
        delay = min(delay * 2, _MAX_POLL_S)


def _history(sfn_client: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    pages = sfn_client.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, includeExecutionData=True
    )
    for page in pages:
        events.extend(page["events"])
    return events


def _events_by_state(history: list[dict[str, Any]]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Each event with the state it belongs to: the last state entered and not yet exited."""
    current: str | None = None
    for event in history:
        entered = event.get("stateEnteredEventDetails")
        if entered is not None:
            current = entered["name"]
        yield current, event
        if "stateExitedEventDetails" in event:
            current = None


def _scheduled(event: Mapping[str, Any]) -> bool:
    return event["type"] in ("TaskScheduled", "LambdaFunctionScheduled")
