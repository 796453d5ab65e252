"""Test one state of a workflow through Step Functions' TestState API, with mocks.

Why: TestState runs exactly one state and reports its decision (``SUCCEEDED`` with ``nextState``,
``CAUGHT_ERROR`` with the Catch's ``nextState``, ``RETRIABLE`` with the retrier's backoff, ``FAILED``),
so every Retry and Catch rule of a definition can be checked without deploying it or calling a Lambda
(https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html). This module is the thin,
typed layer over ``sfn.test_state`` a test needs: the definition with its ``${Placeholder}``s filled,
mocks in the shape the API documents (``MockInput``: ``result`` JSON text or ``errorOutput``), the retry
count as ``stateConfiguration.retrierRetryCount``, and the answer parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from scones.workflow.plan import build_plan, substitute
from scones.workflow.settings import WorkflowSettings

INSPECTION_LEVEL = "DEBUG"  # INFO hides inspectionData, where the retry and catch indexes are reported


@dataclass(frozen=True)
class TestStateResult:
    """One TestState answer: ``status`` is SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR (botocore's
    ``TestExecutionStatus``); ``output`` is the state's output parsed from its JSON text."""

    __test__ = False  # not a pytest test class, whatever its name

    status: str
    output: Any = None
    next_state: str | None = None
    error: str | None = None
    cause: str | None = None
    inspection: dict[str, Any] = field(default_factory=dict)

    @property
    def error_details(self) -> dict[str, Any]:
        details = self.inspection.get("errorDetails")
        return details if isinstance(details, dict) else {}

    @property
    def retry_index(self) -> int | None:
        """The array index of the Retry rule that will retry (RETRIABLE only)."""
        return self.error_details.get("retryIndex")

    @property
    def backoff_seconds(self) -> int | None:
        """How long that retrier waits before the next attempt."""
        return self.error_details.get("retryBackoffIntervalSeconds")

    @property
    def catch_index(self) -> int | None:
        """The array index of the Catch rule that caught the error (CAUGHT_ERROR only)."""
        return self.error_details.get("catchIndex")

    @classmethod
    def from_response(cls, response: dict[str, Any]) -> TestStateResult:
        output = response.get("output")
        return cls(
            status=response["status"],
            output=json.loads(output) if output is not None else None,
            next_state=response.get("nextState"),
            error=response.get("error"),
            cause=response.get("cause"),
            inspection=dict(response.get("inspectionData") or {}),
        )


def workflow_definition(settings: WorkflowSettings | None = None, template: str | None = None) -> str:
    """The project's ASL (or ``template``) with every ``${Placeholder}`` filled from the deploy plan, as
    ``scones deploy`` fills it."""
    plan = build_plan(settings or WorkflowSettings())
    return plan.definition() if template is None else substitute(template, plan.substitutions)


def lambda_result(payload: Any, status_code: int = 200) -> dict[str, Any]:
    """A ``mock`` for a ``lambda:invoke`` Task that returns ``payload`` (Lambda ``Invoke``'s output shape,
    ``Payload`` as the optimized integration hands it on: parsed JSON)."""
    return {"result": json.dumps({"StatusCode": status_code, "Payload": payload})}


def error_output(error: str, cause: str = "") -> dict[str, Any]:
    """A ``mock`` for a Task that fails with ``error`` (``MockErrorOutput``)."""
    return {"errorOutput": {"error": error, "cause": cause}}


def run_state(
    sfn_client: Any,
    definition: str | dict[str, Any],
    state_name: str,
    input: Any,
    *,
    mock: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    retry_count: int | None = None,
    inspection_level: str = INSPECTION_LEVEL,
) -> TestStateResult:
    """Run ``state_name`` of ``definition`` once on ``input`` (any JSON value) through TestState.

    ``mock`` replaces the Task's service call (``lambda_result``/``error_output``); ``context`` is the
    Context object (``$$``) the state sees, exactly as given (AWS fills nothing in: ``{}`` is ``$$`` =
    ``{}``), only with a mock, as the API requires; ``retry_count`` is how many retries the matching
    retrier has already made (without ``context`` it is also ``$$.State.RetryCount``).
    """
    request: dict[str, Any] = {
        "definition": definition if isinstance(definition, str) else json.dumps(definition),
        "stateName": state_name,
        "input": json.dumps(input),
        "inspectionLevel": inspection_level,
    }
    if mock is not None:
        request["mock"] = mock
    if context is not None:
        request["context"] = json.dumps(context)
    if retry_count is not None:
        request["stateConfiguration"] = {"retrierRetryCount": retry_count}
    return TestStateResult.from_response(sfn_client.test_state(**request))
