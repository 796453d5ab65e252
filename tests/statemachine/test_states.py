"""Every Retry and Catch decision of statemachine/workflow.asl.json, one state at a time, through TestState
with mocks on the session's real stack (tests/conftest.py's ``localstack``).

TestState runs one state and reports its decision instead of moving on
(https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html): ``SUCCEEDED`` with
``nextState``; ``RETRIABLE`` when a Retry rule matches and has attempts left, with
``inspectionData.errorDetails`` ``retryIndex`` and ``retryBackoffIntervalSeconds``; ``CAUGHT_ERROR`` with the
Catch's ``nextState``, ``catchIndex`` and the error placed by its ``ResultPath`` in ``output``. A mock
replaces the Lambda call (``MockInput``: ``result`` or ``errorOutput``,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_MockInput.html), and
``stateConfiguration.retrierRetryCount`` is "the number of retry attempts that have occurred for the
state's Retry that applies to the mocked error"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestStateConfiguration.html), so the
backoff of each attempt and the hand-over to Catch once ``MaxAttempts`` is spent are checked without
waiting. Whole paths (retried, then succeeds) are the mocked whole-workflow cases
(tests/statemachine/test_mocked_cases.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scones.testing.test_state import error_output, lambda_result, run_state, workflow_definition
from scones.workflow.functions import REVIEW_PREFIX
from scones.workflow.plan import ASL_PATH
from tests.helpers.localstack import LocalStackHandle

pytestmark = pytest.mark.integration

ASL = json.loads(ASL_PATH.read_text())
LAMBDA_TASKS = [
    name for name, s in ASL["States"].items() if s.get("Resource") == "arn:aws:states:::lambda:invoke"
]
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
# What each Task hands on when its function succeeds (the function's {"statusCode", "body"} -> body).
STAGED = {"s3_bucket": "bucket", "s3_key": "test/bicycle_s_000017.png"}
SERIALIZED = {**STAGED, "image_data": "aGVsbG8="}
CLASSIFIED = {**SERIALIZED, "inferences": [0.93, 0.07]}
STATE_INPUT = {
    "Serialize image data": STAGED,
    "Classify image": SERIALIZED,
    "Filter low confidence": CLASSIFIED,
}
NEXT = {
    "Serialize image data": "Classify image",
    "Classify image": "Filter low confidence",
    "Filter low confidence": "Classified",
}
FAILED = "Classification failed"


@pytest.fixture(scope="module")
def definition() -> str:
    """The workflow as deployed: its ``${Placeholder}``s filled from the deploy plan."""
    return workflow_definition()


@pytest.fixture(scope="module")
def sfn(localstack: LocalStackHandle) -> Any:
    return localstack.client("stepfunctions")


def retriers(state: str) -> list[dict[str, Any]]:
    return list(ASL["States"][state].get("Retry", []))


def test_every_lambda_task_is_covered() -> None:
    """The tests below are generated from the definition; this pins what they cover."""
    assert LAMBDA_TASKS == ["Serialize image data", "Classify image", "Filter low confidence"]


@pytest.mark.parametrize("state", LAMBDA_TASKS)
def test_task_success_hands_the_body_to_the_next_state(sfn: Any, definition: str, state: str) -> None:
    """The function's ``{"statusCode", "body"}`` is reduced to ``body`` (ResultSelector + OutputPath) and the
    state moves on to its ``Next`` (the mock is Lambda ``Invoke``'s output with ``Payload`` parsed, as the
    optimized integration hands it on: https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html)."""
    body = {**STATE_INPUT[state], "marker": state}
    result = run_state(
        sfn, definition, state, STATE_INPUT[state], mock=lambda_result({"statusCode": 200, "body": body})
    )
    assert (result.status, result.next_state, result.output) == ("SUCCEEDED", NEXT[state], body)


@pytest.mark.parametrize("state", LAMBDA_TASKS)
@pytest.mark.parametrize("error", LAMBDA_SERVICE_ERRORS)
def test_lambda_service_errors_are_retried_with_backoff(
    sfn: Any, definition: str, state: str, error: str
) -> None:
    """Lambda's transient errors match the first retrier: 1 s, then 2 s, then 4 s
    (``IntervalSeconds * BackoffRate ** retries``), and after ``MaxAttempts`` retries the Catch sends the
    error to the Fail state with the error under ``$.error``."""
    rule = retriers(state)[0]
    assert error in rule["ErrorEquals"]
    for count in range(rule["MaxAttempts"]):
        result = run_state(
            sfn, definition, state, STATE_INPUT[state], mock=error_output(error, "boom"), retry_count=count
        )
        assert result.status == "RETRIABLE", (count, result)
        assert (result.retry_index, result.backoff_seconds) == (
            0,
            int(rule["IntervalSeconds"] * rule["BackoffRate"] ** count),
        )
        assert (result.error, result.cause) == (error, "boom")
    exhausted = run_state(
        sfn,
        definition,
        state,
        STATE_INPUT[state],
        mock=error_output(error, "boom"),
        retry_count=rule["MaxAttempts"],
    )
    assert (exhausted.status, exhausted.next_state, exhausted.catch_index) == (
        "CAUGHT_ERROR",
        FAILED,
        len(ASL["States"][state]["Catch"]) - 1,
    )
    assert exhausted.output == {**STATE_INPUT[state], "error": {"Error": error, "Cause": "boom"}}


@pytest.mark.parametrize("error", ["EndpointUnavailableError", "EndpointNotFoundError"])
def test_classify_endpoint_unavailable_is_retried_then_caught(sfn: Any, definition: str, error: str) -> None:
    """An endpoint that cannot be reached is retriable (Classify's second retrier, index 1, 1/2/4 s); once
    its three retries are spent the error goes to ``Classification failed``."""
    rule = retriers("Classify image")[1]
    assert error in rule["ErrorEquals"]
    backoffs = []
    for count in range(rule["MaxAttempts"]):
        result = run_state(
            sfn, definition, "Classify image", SERIALIZED, mock=error_output(error, "down"), retry_count=count
        )
        assert (result.status, result.retry_index) == ("RETRIABLE", 1)
        backoffs.append(result.backoff_seconds)
    assert backoffs == [1, 2, 4]
    caught = run_state(
        sfn, definition, "Classify image", SERIALIZED, mock=error_output(error, "down"), retry_count=3
    )
    assert (caught.status, caught.next_state, caught.catch_index) == ("CAUGHT_ERROR", FAILED, 0)
    assert caught.output["error"] == {"Error": error, "Cause": "down"}


def test_error_mock_without_state_configuration_is_the_first_attempt(sfn: Any, definition: str) -> None:
    """No ``stateConfiguration`` means no retry has happened yet: RETRIABLE with the first backoff (this
    request failed with ``States.Runtime``/``AttributeError`` before our extension's fix)."""
    result = run_state(
        sfn, definition, "Classify image", SERIALIZED, mock=error_output("EndpointUnavailableError", "down")
    )
    assert (result.status, result.retry_index, result.backoff_seconds) == ("RETRIABLE", 1, 1)


@pytest.mark.parametrize("state", LAMBDA_TASKS)
def test_function_errors_are_not_retried_but_caught_to_fail(sfn: Any, definition: str, state: str) -> None:
    """An error the function raises on purpose (bad input, a model that answers nonsense) matches no
    retrier and is caught by ``States.ALL`` straight to the Fail state."""
    error = "ModelInvocationError" if state == "Classify image" else "InvalidEventError"
    result = run_state(sfn, definition, state, STATE_INPUT[state], mock=error_output(error, "bad"))
    assert (result.status, result.next_state) == ("CAUGHT_ERROR", FAILED)
    assert result.catch_index == len(ASL["States"][state]["Catch"]) - 1
    assert result.output == {**STATE_INPUT[state], "error": {"Error": error, "Cause": "bad"}}
    assert result.retry_index is None


def test_low_confidence_is_caught_to_the_review_path(sfn: Any, definition: str) -> None:
    """``LowConfidenceError`` from the filter is caught by the first Catch (index 0) into ``Prepare review
    record``, with the error under ``$.error`` next to the inferences; it is not retried."""
    result = run_state(
        sfn,
        definition,
        "Filter low confidence",
        CLASSIFIED,
        mock=error_output("LowConfidenceError", "below threshold"),
    )
    assert (result.status, result.next_state, result.catch_index) == (
        "CAUGHT_ERROR",
        "Prepare review record",
        0,
    )
    assert result.output == {
        **CLASSIFIED,
        "error": {"Error": "LowConfidenceError", "Cause": "below threshold"},
    }


def test_prepare_review_record_builds_the_review_item(sfn: Any, definition: str) -> None:
    """The Pass state names the review object after the execution (``States.Format`` over
    ``$$.Execution.Name``) and records the error and cause. TestState accepts no mock (and so no
    ``context``) for a Pass state (botocore model, ``TestStateInput.mock``), so ``$$`` is TestState's own."""
    error = {"Error": "LowConfidenceError", "Cause": "below threshold"}
    result = run_state(sfn, definition, "Prepare review record", {**CLASSIFIED, "error": error})
    assert (result.status, result.next_state) == ("SUCCEEDED", "Record item for review")
    out = result.output
    assert {k: out[k] for k in ("s3_bucket", "s3_key", "inferences", "error", "cause")} == {
        **STAGED,
        "inferences": CLASSIFIED["inferences"],
        "error": error["Error"],
        "cause": error["Cause"],
    }
    name = out["execution"].rsplit(":", 1)[-1]
    assert out["execution"].startswith("arn:aws:states:")
    assert out["review_key"] == f"{REVIEW_PREFIX}{name}.json"


def test_record_item_for_review_retries_s3_then_fails(sfn: Any, definition: str) -> None:
    """The S3 write retries S3's transient errors (1/2/4 s) and any error ends in the Fail state; success
    keeps the input (``ResultPath: null``) and moves to ``Needs review``."""
    item = {
        **CLASSIFIED,
        "error": "LowConfidenceError",
        "cause": "x",
        "execution": "arn",
        "review_key": "review/x.json",
    }
    ok = run_state(
        sfn, definition, "Record item for review", item, mock={"result": json.dumps({"ETag": '"abc"'})}
    )
    assert (ok.status, ok.next_state, ok.output) == ("SUCCEEDED", "Needs review", item)
    retried = run_state(
        sfn,
        definition,
        "Record item for review",
        item,
        mock=error_output("S3.S3Exception", "slow"),
        retry_count=1,
    )
    assert (retried.status, retried.retry_index, retried.backoff_seconds) == ("RETRIABLE", 0, 2)
    caught = run_state(
        sfn,
        definition,
        "Record item for review",
        item,
        mock=error_output("S3.S3Exception", "slow"),
        retry_count=3,
    )
    assert (caught.status, caught.next_state) == ("CAUGHT_ERROR", FAILED)


@pytest.mark.parametrize(
    ("state", "state_input", "outcome"),
    [
        ("Classified", CLASSIFIED, "classified"),
        ("Needs review", {**CLASSIFIED, "review_key": "review/x.json"}, "review"),
    ],
)
def test_end_states_shape_the_outcome(
    sfn: Any, definition: str, state: str, state_input: dict[str, Any], outcome: str
) -> None:
    """The two Pass end states keep only what a caller needs and name the outcome; no next state."""
    result = run_state(sfn, definition, state, state_input)
    assert result.status == "SUCCEEDED" and result.next_state is None
    assert result.output["outcome"] == outcome
    assert {k: result.output[k] for k in ("s3_bucket", "s3_key", "inferences")} == {
        **STAGED,
        "inferences": CLASSIFIED["inferences"],
    }


def test_fail_state_reports_the_caught_error(sfn: Any, definition: str) -> None:
    """``Classification failed`` fails with the caught error and cause (``ErrorPath``/``CausePath``), a
    ``States.*`` name included (https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html)."""
    for error in ("ModelInvocationError", "States.Timeout"):
        result = run_state(sfn, definition, FAILED, {**CLASSIFIED, "error": {"Error": error, "Cause": "why"}})
        assert (result.status, result.error, result.cause) == ("FAILED", error, "why")
