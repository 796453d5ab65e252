"""TestState's mocks, retries and context as AWS documents them, on a real LocalStack with our extension
(localstack_ext/scones_localstack/stepfunctions/test_state.py). Each test sends the request that failed on
LocalStack 2026.3.0 before the fix and says what came back then.

AWS references:

- ``MockInput`` (result / errorOutput / fieldValidationMode, STRICT by default):
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_MockInput.html
- ``TestStateConfiguration.retrierRetryCount``: "The number of retry attempts that have occurred for the
  state's Retry that applies to the mocked error":
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestStateConfiguration.html
- ``InspectionErrorDetails`` (catchIndex, retryIndex, retryBackoffIntervalSeconds) and
  ``TestExecutionStatus`` (SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR): botocore ``stepfunctions`` model.
- ``TestStateInput.context``: "A JSON string representing a valid Context object for the state under test.
  This field may only be specified if a mock is specified in the same request" (botocore model).
- The Context object AWS answers for a given ``context``: LocalStack's AWS-validated snapshots
  (tests/aws/services/stepfunctions/v2/test_state/test_state_context_object.snapshot.json, recorded against
  AWS): ``{}`` gives ``$$`` = ``{}``, ``{"Execution": {}, "State": {}, "StateMachine": {}}`` gives exactly
  those empty objects (nothing is filled in), a ``Map`` field is refused ("'Map' field is not supported when
  mocking a Context object"), and a mock for a Pass state is refused ("State type 'Pass' is not supported
  when a mock is specified").
- Optimized Lambda integration: "The Payload field of the response is parsed from escaped Json to Json":
  https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html; AWS's own TestState examples
  mock Lambda as ``{"StatusCode":200,"Payload":{"body":"ok"}}``.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.localstack import LocalStackHandle
from tests.helpers.roles import role_arn, states_role

pytestmark = pytest.mark.integration

PYTHON_TEXT = re.compile(r"\b\w*(Error|Exception)\(|Traceback|NoneType|object has no attribute")
TASK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",
                "Payload.$": "$",
            },
            "ResultSelector": {"body.$": "$.Payload.body"},
            "OutputPath": "$.body",
            "Retry": [
                {"ErrorEquals": ["Other"], "IntervalSeconds": 5, "MaxAttempts": 1},
                {"ErrorEquals": ["E1"], "IntervalSeconds": 3, "MaxAttempts": 3, "BackoffRate": 2.0},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "F"}],
            "Next": "S",
        },
        "S": {"Type": "Succeed"},
        "F": {"Type": "Fail"},
    },
}
CONTEXT_TASK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": "f",
                "Payload": {
                    "id.$": "$$.Execution.Id",
                    "name.$": "$$.Execution.Name",
                    "state.$": "$$.State.Name",
                },
            },
            "End": True,
        }
    },
}
EXECUTION_ARN = "arn:aws:states:us-east-1:000000000000:execution:workflow:run-42"
# Task calls here are mocked or refused before they run: the role needs no permission.
ROLE = role_arn("sfn-test-state")


@pytest.fixture(scope="module")
def sfn(localstack: LocalStackHandle) -> Any:
    """A Step Functions client, the service warmed up (its first request loads it: seconds)."""
    states_role(localstack.client("iam"), "sfn-test-state")
    client = localstack.client("stepfunctions")
    client.test_state(definition=json.dumps({"Type": "Pass", "End": True}), input="{}")
    return client


def call(sfn: Any, definition: dict[str, Any] = TASK, **request: Any) -> dict[str, Any]:
    response = sfn.test_state(definition=json.dumps(definition), stateName="T", input='{"a":1}', **request)
    response.pop("ResponseMetadata", None)
    assert not PYTHON_TEXT.search(json.dumps(response)), response
    return dict(response)


def lambda_mock(payload: Any, **extra: Any) -> dict[str, Any]:
    return {"result": json.dumps({"StatusCode": 200, "Payload": payload}), **extra}


def test_error_output_without_state_configuration_is_the_first_attempt(sfn: Any) -> None:
    """Before: ``FAILED``, ``States.Runtime``, ``AttributeError('NoneType' object has no attribute 'get')``.
    No configuration means no retry yet: the matching retrier (index 1) retries after IntervalSeconds, and
    TestState answers at once instead of sleeping the backoff."""
    start = time.monotonic()
    out = call(sfn, mock={"errorOutput": {"error": "E1", "cause": "boom"}}, inspectionLevel="DEBUG")
    assert time.monotonic() - start < 2.5  # LocalStack slept the 3 s backoff before answering
    assert (out["status"], out["error"], out["cause"]) == ("RETRIABLE", "E1", "boom")
    assert out["inspectionData"]["errorDetails"] == {"retryIndex": 1, "retryBackoffIntervalSeconds": 3}


def test_unmatched_error_without_state_configuration_is_caught(sfn: Any) -> None:
    """Before: the same AttributeError. An error no retrier names goes to the Catch, with no retryIndex."""
    out = call(sfn, mock={"errorOutput": {"error": "Boom", "cause": "why"}}, inspectionLevel="DEBUG")
    assert (out["status"], out["nextState"]) == ("CAUGHT_ERROR", "F")
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    assert json.loads(out["output"]) == {"a": 1, "error": {"Error": "Boom", "Cause": "why"}}


@pytest.mark.parametrize(
    ("count", "status", "backoff"), [(0, "RETRIABLE", 3), (2, "RETRIABLE", 12), (3, "CAUGHT_ERROR", None)]
)
def test_retrier_retry_count(sfn: Any, count: int, status: str, backoff: int | None) -> None:
    """Backoff = IntervalSeconds * BackoffRate ** retries; after MaxAttempts retries the Catch decides."""
    out = call(
        sfn,
        mock={"errorOutput": {"error": "E1", "cause": "boom"}},
        stateConfiguration={"retrierRetryCount": count},
        inspectionLevel="DEBUG",
    )
    assert out["status"] == status
    assert out["inspectionData"]["errorDetails"].get("retryBackoffIntervalSeconds") == backoff


def test_error_output_without_cause(sfn: Any) -> None:
    """Before: ``InternalError`` carrying ``TestStateResponseThrow.__init__() missing 1 required positional
    argument: 'cause'``. ``cause`` is optional in ``MockErrorOutput``."""
    out = call(sfn, mock={"errorOutput": {"error": "Boom"}}, stateConfiguration={"retrierRetryCount": 0})
    assert (out["status"], out["error"], out["cause"]) == ("CAUGHT_ERROR", "Boom", "")


@pytest.mark.parametrize("mode", [None, "STRICT", "PRESENT", "NONE"])
def test_lambda_payload_object_is_valid_in_every_mode(sfn: Any, mode: str | None) -> None:
    """Before: ``ValidationException: Mock result schema validation error: Field 'Payload' must be a
    string`` under STRICT (the default) and PRESENT."""
    extra = {"fieldValidationMode": mode} if mode else {}
    out = call(sfn, mock=lambda_mock({"body": {"x": 1}}, **extra))
    assert (out["status"], out["nextState"], json.loads(out["output"])) == ("SUCCEEDED", "S", {"x": 1})


def test_lambda_payload_json_text_is_parsed(sfn: Any) -> None:
    """Before: ``FAILED`` with the AttributeError. A Payload string holding JSON is parsed, as the optimized
    integration parses the function's response."""
    out = call(sfn, mock=lambda_mock(json.dumps({"body": {"x": 1}})))
    assert (out["status"], json.loads(out["output"])) == ("SUCCEEDED", {"x": 1})


def test_lambda_payload_plain_string_stays_a_string(sfn: Any) -> None:
    """A Payload that is not JSON stays a string (AWS answers ``"Payload": "function output"``); here the
    ResultSelector then finds no ``$.Payload.body`` and the Catch takes the States.Runtime error."""
    out = call(sfn, mock=lambda_mock("function output"))
    assert (out["status"], out["error"]) == ("CAUGHT_ERROR", "States.Runtime")
    assert "$.Payload.body" in out["cause"]


def test_other_lambda_fields_are_still_validated(sfn: Any) -> None:
    """STRICT still checks the fields Lambda's Invoke output declares."""
    with pytest.raises(ClientError) as caught:
        call(sfn, mock={"result": json.dumps({"StatusCode": "200", "Payload": {}})})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "StatusCode" in caught.value.response["Error"]["Message"]


def test_context_is_the_states_context_object(sfn: Any) -> None:
    """Before: ``$$.Execution.Id`` was TestState's own express ARN. The given Context object is ``$$``."""
    context = {"Execution": {"Id": EXECUTION_ARN, "Name": "run-42"}, "State": {"Name": "Classify"}}
    out = call(
        sfn,
        CONTEXT_TASK,
        mock=lambda_mock({"ok": True}),
        context=json.dumps(context),
        inspectionLevel="DEBUG",
    )
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["inspectionData"]["afterParameters"])["Payload"] == {
        "id": EXECUTION_ARN,
        "name": "run-42",
        "state": "Classify",
    }


def test_context_without_mock_is_refused(sfn: Any) -> None:
    """Before: silently ignored. AWS: context "may only be specified if a mock is specified"."""
    with pytest.raises(ClientError) as caught:
        call(sfn, context="{}")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_invalid_context_is_a_validation_error(sfn: Any) -> None:
    """A Context object with a field AWS does not allow is refused, without Python text."""
    with pytest.raises(ClientError) as caught:
        call(sfn, CONTEXT_TASK, mock=lambda_mock({}), context=json.dumps({"Pokedex": {}}))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert not PYTHON_TEXT.search(caught.value.response["Error"]["Message"])


def test_output_is_compact_json(sfn: Any) -> None:
    """AWS renders ``output`` and ``inspectionData`` JSON without spaces (LocalStack used ``{"a": 1}``)."""
    out = call(sfn, mock={"errorOutput": {"error": "Boom", "cause": "c"}}, inspectionLevel="DEBUG")
    assert out["output"] == '{"a":1,"error":{"Error":"Boom","Cause":"c"}}'
    assert out["inspectionData"]["input"] == '{"a":1}'


@pytest.mark.parametrize(
    ("definition", "before"),
    [
        (
            '{"Type": "Pass", "End": ',  # cut short
            "ASLParserException line 1:...",
        ),
        (
            json.dumps({**TASK["States"]["T"], "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]}),
            "Error=ValueError Args=['IntervalSeconds value MUST be ...'] in definition '...'",
        ),
    ],
)
def test_invalid_definitions_say_why_in_aws_words(sfn: Any, definition: str, before: str) -> None:
    """Before: the InvalidDefinition message named LocalStack's Python exception (``before``). AWS words it
    "Invalid State Machine Definition: '...'"."""
    with pytest.raises(ClientError) as caught:
        sfn.test_state(definition=definition, input="{}", roleArn=ROLE)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"].startswith("Invalid State Machine Definition: '")
    assert "ASLParserException" not in error["Message"] and "Error=" not in error["Message"]


def test_input_that_is_not_json_is_invalid_execution_input(sfn: Any) -> None:
    """Before: a 500 ``InternalError`` (LocalStack's ``json.loads`` raised). The botocore model lists
    ``InvalidExecutionInput`` among TestState's errors."""
    with pytest.raises(ClientError) as caught:
        sfn.test_state(definition=json.dumps({"Type": "Pass", "End": True}), input="not json")
    assert caught.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert not PYTHON_TEXT.search(caught.value.response["Error"]["Message"])


def test_task_token_in_context_needs_a_callback_task(sfn: Any) -> None:
    """AWS refuses a Context object with ``Task`` for a Task that is neither ``.sync`` nor
    ``.waitForTaskToken`` (AWS's answer, recorded in LocalStack's AWS-validated snapshot
    test_state_context_object_invalid_states[TOKEN_TASK_NOT_SYNC]); LocalStack accepted it. A
    ``.waitForTaskToken`` Task sees the token."""
    with pytest.raises(ClientError) as caught:
        call(sfn, CONTEXT_TASK, mock=lambda_mock({}), context=json.dumps({"Task": {"Token": "t"}}))
    assert caught.value.response["Error"]["Message"] == (
        "Invalid Context object provided: Context object contains 'Task' when state is not a Task state "
        "with a '.sync' or '.waitForTaskToken' service integration pattern"
    )
    callback = json.loads(json.dumps(CONTEXT_TASK))
    state = callback["States"]["T"]
    state["Resource"] += ".waitForTaskToken"
    state["Parameters"]["Payload"] = {"token.$": "$$.Task.Token"}  # $$ is only what was given
    out = call(
        sfn,
        callback,
        mock={"result": json.dumps({"approved": True})},
        context=json.dumps({"Task": {"Token": "t"}}),
        inspectionLevel="DEBUG",
    )
    assert out["status"] == "SUCCEEDED", out
    assert json.loads(out["inspectionData"]["afterParameters"])["Payload"]["token"] == "t"


WHOLE_CONTEXT_TASK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload": {"context.$": "$$"}},
            "End": True,
        }
    },
}


def context_seen(sfn: Any, context: Any = None, **request: Any) -> Any:
    """``$$`` as the Task's Parameters saw it (``afterParameters.Payload.context``)."""
    if context is not None:
        request["context"] = json.dumps(context)
    out = call(sfn, WHOLE_CONTEXT_TASK, mock=lambda_mock({}), inspectionLevel="DEBUG", **request)
    assert out["status"] == "SUCCEEDED", out
    return json.loads(out["inspectionData"]["afterParameters"])["Payload"]["context"]


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"Execution": {}, "State": {}, "StateMachine": {}},
        {"Execution": {"Input": {"a": 1}}},
        {"State": {"Name": "Classify", "RetryCount": 2}},
    ],
    ids=["EMPTY", "EMPTY_OBJECTS", "EXECUTION_INPUT_ONLY", "STATE_ONLY"],
)
def test_given_context_is_dollar_dollar_exactly(sfn: Any, context: dict[str, Any]) -> None:
    """Before: each given object replaced the interpreter's and ``State`` was laid over the interpreter's,
    so ``{}`` showed TestState's own Execution/StateMachine/State. AWS answers ``$$`` = the given object,
    filling in nothing (snapshots EMPTY and EMPTY_OBJECTS); a partial object is the closest case and is not
    filled in either."""
    assert context_seen(sfn, context) == context


def test_missing_context_field_is_a_states_runtime_error(sfn: Any) -> None:
    """``$$.Execution.Id`` with a Context object that has no Execution: the path is not found, a
    States.Runtime failure in the words LocalStack uses for any JSONPath (no interpreter value leaks in)."""
    out = call(sfn, CONTEXT_TASK, mock=lambda_mock({}), context=json.dumps({}))
    assert (out["status"], out["error"]) == ("FAILED", "States.Runtime"), out
    assert "$.Execution.Id" in out["cause"] and "could not be found in the input '{}'" in out["cause"]


def test_without_context_retry_count_is_the_configured_one(sfn: Any) -> None:
    """Without ``context`` ``$$`` is the interpreter's (AWS documents nothing for it); ``$$.State.RetryCount``
    is ``stateConfiguration.retrierRetryCount`` ("the number of retry attempts that have occurred"), 0 when
    not given, and ``$$.State.Name`` is the tested state."""
    assert context_seen(sfn)["State"]["RetryCount"] == 0
    seen = context_seen(sfn, stateConfiguration={"retrierRetryCount": 2})
    assert (seen["State"]["Name"], seen["State"]["RetryCount"]) == ("T", 2)


def test_jsonata_states_context_is_the_given_context(sfn: Any) -> None:
    """``$states.context`` in a JSONata state is the same Context object as ``$$`` in JSONPath."""
    state = {
        "QueryLanguage": "JSONata",
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f", "Payload": {"context": "{% $states.context %}"}},
        "End": True,
    }
    context = {"Execution": {"Name": "run-42"}}
    out = call(
        sfn,
        {"StartAt": "T", "States": {"T": state}},
        mock=lambda_mock({}),
        context=json.dumps(context),
        inspectionLevel="DEBUG",
    )
    assert out["status"] == "SUCCEEDED", out
    assert json.loads(out["inspectionData"]["afterArguments"])["Payload"]["context"] == context


def test_mock_for_a_pass_state_is_refused_in_aws_words(sfn: Any) -> None:
    """AWS (snapshot INVALID_STATE_PASS): ``ValidationException`` "State type 'Pass' is not supported when a
    mock is specified"."""
    with pytest.raises(ClientError) as caught:
        call(sfn, {"StartAt": "T", "States": {"T": {"Type": "Pass", "End": True}}}, mock=lambda_mock({}))
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == "State type 'Pass' is not supported when a mock is specified"


@pytest.mark.parametrize("count", [10**6, 99999998])
def test_huge_retry_count_is_capped_not_a_python_error(sfn: Any, count: int) -> None:
    """``IntervalSeconds * BackoffRate ** retrierRetryCount`` overflowed a float (``OverflowError``) under a
    MaxAttempts that large; the backoff is capped by MaxDelaySeconds (31622401 s, AWS's largest, when none is
    given) and the answer is an ordinary RETRIABLE."""
    definition = json.loads(json.dumps(TASK))
    definition["States"]["T"]["Retry"] = [
        {"ErrorEquals": ["E1"], "MaxAttempts": 99999999, "BackoffRate": 2.0}
    ]
    out = call(
        sfn,
        definition,
        mock={"errorOutput": {"error": "E1", "cause": "boom"}},
        stateConfiguration={"retrierRetryCount": count},
        inspectionLevel="DEBUG",
    )
    assert out["status"] == "RETRIABLE", out
    assert out["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 31622401}


@pytest.mark.parametrize(
    ("definition", "state_name"),
    [
        ("[]", None),
        ("null", None),
        ('"Pass"', None),
        (json.dumps({"StartAt": "X", "States": {}}), "T"),
        (json.dumps({"Type": "Task"}), None),
        (json.dumps({"Type": "Choice", "Choices": "no"}), None),
        ("{" * 5000, None),
    ],
    ids=[
        "array",
        "null",
        "string",
        "unknown-state",
        "task-without-resource",
        "bad-choices",
        "deep",
    ],
)
def test_malformed_definitions_answer_aws_errors(sfn: Any, definition: str, state_name: str | None) -> None:
    """Hostile definitions: each is refused with an error the botocore model lists for TestState
    (``InvalidDefinition``, ``ValidationException``), never a 500 or Python exception text."""
    request: dict[str, Any] = {"definition": definition, "input": "{}"}
    if state_name:
        request["stateName"] = state_name
    with pytest.raises(ClientError) as caught:
        sfn.test_state(**request)
    error = caught.value.response["Error"]
    assert error["Code"] in {"InvalidDefinition", "ValidationException"}, error
    assert not PYTHON_TEXT.search(error["Message"]), error


def test_unparsable_path_is_an_invalid_definition(sfn: Any) -> None:
    """``"a.$": "$$$["`` is not a JSONPath. AWS refuses it when validating the definition
    ("SCHEMA_VALIDATION_FAILED: The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic
    function call", as users quote it); so does this TestState now, instead of failing the state with
    States.Runtime (tests/localstack_ext/test_definition_validation.py has the other operations)."""
    definition = {"Type": "Pass", "End": True, "Parameters": {"a.$": "$$$["}}
    with pytest.raises(ClientError) as caught:
        sfn.test_state(definition=json.dumps(definition), input="{}")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert "The value for the field 'a.$' must be a valid JSONPath" in error["Message"]
    assert not PYTHON_TEXT.search(error["Message"])


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        (
            {"inspectionLevel": "BOGUS", "mock": lambda_mock({})},
            "1 validation error detected: Value 'BOGUS' at 'inspectionLevel' failed to satisfy constraint: "
            "Member must satisfy enum value set: [INFO, DEBUG, TRACE]",
        ),
        (
            {"mock": {**lambda_mock({}), "fieldValidationMode": "LOOSE"}},
            "1 validation error detected: Value 'LOOSE' at 'mock.fieldValidationMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]",
        ),
        (
            {"mock": {"errorOutput": {"error": "E1"}}, "stateConfiguration": {"retrierRetryCount": -1}},
            "1 validation error detected: Value '-1' at 'stateConfiguration.retrierRetryCount' failed to "
            "satisfy constraint: Member must have value greater than or equal to 0",
        ),
        (
            {"mock": {}},
            "A test mock should have only one of the following fields: [result, errorOutput].",
        ),
        (
            {"mock": lambda_mock({}), "variables": "[1]"},
            "Invalid variables provided: variables must be a JSON object",
        ),
        (
            {"mock": {"result": "[" * 3000 + "]" * 3000}},
            "Mock result must be a valid JSON object, but got 'array' instead",
        ),
    ],
    ids=[
        "inspection-level",
        "field-validation-mode",
        "negative-retry-count",
        "empty-mock",
        "variables",
        "array",
    ],
)
def test_out_of_model_values_are_validation_errors(
    localstack: LocalStackHandle, request_fields: dict[str, Any], message: str
) -> None:
    """Values the botocore model does not allow, sent by a client that does not validate (botocore sends
    any enum value; the minimum is checked only with its parameter validation on). Before: an unknown enum
    ran as the default, ``-1`` retries counted as none, ``{}`` was no mock (the real Lambda was called without
    a role), ``variables`` that are not an object answered a 500, and an array result named Python's type
    (``'<class 'list'>'``). Now: ValidationException in AWS's constraint wording (enum sets as the botocore
    model lists them)."""
    raw = localstack.client("stepfunctions", parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        raw.test_state(definition=json.dumps(TASK), stateName="T", input="{}", **request_fields)
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationException", message)


def test_map_items_path_reads_the_given_context(sfn: Any) -> None:
    """A mocked Map state tested with a Context object: ``ItemsPath`` reads the given
    ``$$.Execution.Input`` (AWS's snapshot test_state_map_context_object[EXECUTION_INPUT_VALUES]) and the
    mocked result is the output."""
    state = {
        "Type": "Map",
        "ItemsPath": "$$.Execution.Input.values",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    out = call(
        sfn,
        {"StartAt": "T", "States": {"T": state}},
        mock={"result": json.dumps(["A", "B"])},
        context=json.dumps({"Execution": {"Input": {"values": ["a", "b"]}}}),
        inspectionLevel="DEBUG",
    )
    assert out["status"] == "SUCCEEDED", out
    assert json.loads(out["inspectionData"]["afterItemsPath"]) == ["a", "b"]
    assert json.loads(out["output"]) == ["A", "B"]
