"""Step Functions' payload quota and error shapes, as AWS enforces them, on a real LocalStack.

AWS references (each test names the one it relies on):

- Quota: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
  encoded string" (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
- botocore ``stepfunctions`` service model: ``StartExecutionInput.input`` and
  ``StartSyncExecutionInput.input`` are ``SensitiveData`` with ``max: 262144`` ("Length constraints apply
  to the payload size, and are expressed as bytes in UTF-8 encoding"). Over it AWS answers
  ``ValidationException``: "1 validation error detected: Value at 'input' failed to satisfy constraint:
  Member must have size less than or equal to 262144 bytes in UTF-8 encoding" (AWS's message as clients
  log it; a sensitive member's value is not echoed).
- ``States.DataLimitExceeded`` with the cause "The state/task '<state>' returned a result with a size
  exceeding the maximum number of bytes service limit." (AWS-recorded snapshot in LocalStack's
  tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json; for a Lambda
  task the name is the resource type, 'lambda').
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.lambda_functions import NO_RETRIES, create_function, poll, unique_name, zip_files
from tests.helpers.roles import invoke_functions, role_arn, states_role

QUOTA = 262_144
ROLE = role_arn("sfn-limits")  # invokes this module's functions (limits-*) and nothing else
WORKFLOW = Path(__file__).resolve().parents[2] / "statemachine" / "workflow.asl.json"
PYTHON_TEXT = re.compile(r"\b\w*(Error|Exception)\(|Traceback|Custom Error Names")
DATA_LIMIT_CAUSE = (
    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit."
)
INPUT_TOO_LARGE = (
    "1 validation error detected: Value at 'input' failed to satisfy constraint: "
    "Member must have size less than or equal to 262144 bytes in UTF-8 encoding"
)
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}

# Returns a string result of the requested size; raises on anything but an object (as most handlers do).
HANDLER = """
def handler(event, context):
    if event.get("action") == "big":
        return "a" * event["bytes"]
    return {"ok": True}
"""


def text_of(size: int, char: str = "a") -> str:
    """A JSON string literal of exactly `size` UTF-8 bytes (quotes included)."""
    body = char * ((size - 2) // len(char.encode("utf-8")))
    text = json.dumps(body, ensure_ascii=False)
    assert len(text.encode("utf-8")) == size
    return text


def object_of(size: int) -> str:
    """A compact JSON object of exactly `size` UTF-8 bytes: {"s":"aaa…"}."""
    text = json.dumps({"s": "a" * (size - len('{"s":""}'))}, separators=(",", ":"))
    assert len(text.encode("utf-8")) == size
    return text


@pytest.fixture(scope="module")
def sfn(localstack: Any) -> Any:
    return localstack.client("stepfunctions", retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def machine(localstack: Any, sfn: Any) -> Callable[..., str]:
    states_role(localstack.client("iam"), "sfn-limits", [invoke_functions("limits-*")])

    def create(definition: dict[str, Any], kind: str = "STANDARD") -> str:
        return str(
            sfn.create_state_machine(
                name=f"limits-{uuid.uuid4().hex[:8]}",
                definition=json.dumps(definition),
                roleArn=ROLE,
                type=kind,
            )["stateMachineArn"]
        )

    return create


@pytest.fixture(scope="module")
def function_arn(localstack: Any) -> Iterator[str]:
    client = localstack.client("lambda", retries=NO_RETRIES)
    name = create_function(
        client, unique_name("limits"), zip_files({"lambda_function.py": HANDLER}), Timeout=10
    )
    yield str(client.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
    client.delete_function(FunctionName=name)


def run(sfn: Any, machine_arn: str, text: str) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=machine_arn, input=text)["executionArn"]
    return dict(
        poll(
            lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
            timeout=30.0,
            interval=0.1,
        )
    )


def assert_no_python_text(described: dict[str, Any]) -> None:
    assert not PYTHON_TEXT.search(described.get("cause") or ""), described.get("cause")


# --- execution input ------------------------------------------------------------------------------


def test_start_execution__input_of_exactly_256_kib_runs(sfn: Any, machine: Callable[..., str]) -> None:
    """AWS's maximum is inclusive (botocore model ``max: 262144``; quota "256 KiB"): an object of exactly
    262,144 compact bytes starts and passes a Pass state. Failed before: LocalStack measured the payload
    with Python's spaced ``json.dumps`` and ``<``, so the Pass state failed with States.DataLimitExceeded."""
    described = run(sfn, machine(PASS), object_of(QUOTA))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert len(described["output"].encode("utf-8")) == QUOTA


@pytest.mark.parametrize("size", [QUOTA + 1, 300 * 1024, 2 * 1024 * 1024], ids=["256KiB+1", "300KiB", "2MiB"])
@pytest.mark.parametrize("call", ["standard", "express", "express-sync"])
def test_start_execution__input_over_256_kib_refused(
    sfn: Any, machine: Callable[..., str], call: str, size: int
) -> None:
    """Over the quota AWS refuses the call itself with ValidationException (botocore model
    StartExecutionInput.input / StartSyncExecutionInput.input: SensitiveData, max 262144); no execution is
    created. Failed before: LocalStack accepted 300 KiB and 2 MiB (HTTP 200)."""
    arn = machine(PASS, "STANDARD" if call == "standard" else "EXPRESS")
    start = sfn.start_sync_execution if call == "express-sync" else sfn.start_execution
    with pytest.raises(ClientError) as caught:
        start(stateMachineArn=arn, input=text_of(size))
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationException", INPUT_TOO_LARGE)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if call == "standard":
        assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


def test_start_execution__limit_counts_utf8_bytes_not_characters(
    sfn: Any, machine: Callable[..., str]
) -> None:
    """AWS: "Length constraints apply to the payload size, and are expressed as bytes in UTF-8 encoding"
    (StartExecution API reference, input): 131,073 two-byte characters are 262,148 bytes, over the quota
    although fewer characters. Failed before: accepted."""
    text = text_of(QUOTA + 2, "é")
    assert len(text) < QUOTA
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=machine(PASS), input=text)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


# --- state payloads -------------------------------------------------------------------------------


def test_state_output__over_256_kib_fails_with_data_limit_exceeded(
    sfn: Any, machine: Callable[..., str]
) -> None:
    """A state whose output exceeds the quota fails the execution with States.DataLimitExceeded and AWS's
    cause (AWS docs, error names: "The output of a state is larger than the payload size quota"); an
    output of exactly the quota passes. Parameters concatenate two input strings to reach both sizes.
    Failed before for the exact-quota case (LocalStack refused it); the +1 case is a regression guard."""
    doubling = {
        "StartAt": "Double",
        "States": {
            "Double": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s", "c.$": "$.t"}, "End": True}
        },
    }
    arn = machine(doubling)
    half = (QUOTA - len('{"a":"","b":"","c":""}')) // 2  # output: {"a":s,"b":s,"c":t}, 2 * half + 22 = QUOTA
    exact = run(sfn, arn, json.dumps({"s": "a" * half, "t": ""}))
    assert exact["status"] == "SUCCEEDED", exact.get("cause")
    assert len(exact["output"].encode("utf-8")) == QUOTA
    described = run(sfn, arn, json.dumps({"s": "a" * half, "t": "t"}))
    assert (described["status"], described["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert described["cause"] == DATA_LIMIT_CAUSE.format("Double")


def fail_on_caught(task: dict[str, Any]) -> dict[str, Any]:
    """Our workflow's shape: a Task whose errors a Catch puts in $.error, then a Fail state re-raising it."""
    task = dict(
        task,
        Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
        End=True,
    )
    return {
        "StartAt": "Task",
        "States": {
            "Task": task,
            "Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }


def test_task_result__over_256_kib_caught_and_reraised_keeps_error_and_cause(
    sfn: Any, machine: Callable[..., str], function_arn: str
) -> None:
    """A Lambda task returning more than the quota fails with States.DataLimitExceeded (cause names the
    resource type 'lambda', as in AWS's recorded snapshot); caught into $.error and re-raised by a Fail
    state with ErrorPath/CausePath, the execution ends FAILED with exactly that error and cause.
    AWS's Fail state takes any error name (https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html:
    no prefix rule on Error/ErrorPath). Failed before: States.Runtime, cause
    "ValueError(Custom Error Names MUST NOT begin with the prefix 'States.' ...)"."""
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": {"action": "big", "bytes": 300 * 1024}},
    }
    described = run(sfn, machine(fail_on_caught(task)), "{}")
    assert (described["status"], described["error"]) == ("FAILED", "States.DataLimitExceeded")
    assert described["cause"] == DATA_LIMIT_CAUSE.format("lambda")


# --- States.* errors through Fail states ----------------------------------------------------------


@pytest.mark.parametrize("error", ["States.TaskFailed", "States.Timeout", "States.Runtime", "States.Custom"])
def test_fail_state__states_error_name_keeps_error_and_cause(
    sfn: Any, machine: Callable[..., str], error: str
) -> None:
    """A Fail state re-raising a States.* name (ErrorPath/CausePath from the input, as after a Catch) ends
    the execution with that error and cause verbatim (AWS Fail state docs: Error/ErrorPath is "an error
    name", no prefix rule). Failed before: States.Runtime with a Python ValueError as the cause."""
    definition = {
        "StartAt": "Failed",
        "States": {"Failed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}},
    }
    cause = "the original cause, kept"
    described = run(sfn, machine(definition), json.dumps({"error": {"Error": error, "Cause": cause}}))
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", error, cause)


def test_fail_state__static_states_error_name(sfn: Any, machine: Callable[..., str]) -> None:
    """The same with a static Error/Cause. Failed before: States.Runtime, ValueError cause."""
    definition = {
        "StartAt": "Failed",
        "States": {"Failed": {"Type": "Fail", "Error": "States.Timeout", "Cause": "static cause"}},
    }
    described = run(sfn, machine(definition), "{}")
    assert (described["error"], described["cause"]) == ("States.Timeout", "static cause")


def test_fail_state__states_error_in_a_branch_is_caught_by_its_name(
    sfn: Any, machine: Callable[..., str]
) -> None:
    """A known States.* name raised by a Fail state inside a Parallel branch stays that name for the
    Parallel's Catch (ErrorEquals ["States.Timeout"]). Failed before: the branch failed with States.Runtime,
    which that catcher does not match."""
    definition = {
        "StartAt": "Branches",
        "States": {
            "Branches": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "F",
                        "States": {"F": {"Type": "Fail", "Error": "States.Timeout", "Cause": "slow"}},
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    described = run(sfn, machine(definition), "{}")
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"])["error"] == {"Error": "States.Timeout", "Cause": "slow"}


# --- non-object execution input -------------------------------------------------------------------

NON_OBJECTS = {"array": "[1,2]", "string": '"s"', "null": "null", "number": "3", "boolean": "true"}


@pytest.mark.parametrize("text", NON_OBJECTS.values(), ids=NON_OBJECTS.keys())
def test_non_object_input__json_path_not_found_as_aws(
    sfn: Any, machine: Callable[..., str], text: str
) -> None:
    """AWS accepts any JSON value as execution input; a field path on a non-object fails with States.Runtime
    and AWS's words, the input rendered compact ("An error occurred while executing the state 'X' (entered
    at the event id #N). The JSONPath '$.k' specified for the field 'k.$' could not be found in the input
    '{"Error":...}'", https://github.com/cdklabs/construct-hub/pull/1651). Failed before for the array:
    rendered '[1, 2]'."""
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"key.$": "$.key"}, "End": True}},
    }
    described = run(sfn, machine(definition), text)
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert described["cause"] == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        f"The JSONPath '$.key' specified for the field 'key.$' could not be found in the input '{text}'"
    )


@pytest.mark.parametrize("text", NON_OBJECTS.values(), ids=NON_OBJECTS.keys())
def test_non_object_input__result_path_conflict_as_aws(
    sfn: Any, machine: Callable[..., str], text: str
) -> None:
    """A ResultPath that adds a field to a non-object input fails with States.ReferencePathConflict,
    "Unable to apply ReferencePath <path> to input <input>" (AWS's error as reported, e.g.
    https://qiita.com/tsubasaogawa/items/4fe341bdb6ae7d2fd8ee: "Unable to apply ReferencePath
    $.someTaskResult to input \\"input1\\""). Failed before: States.Runtime with Python text
    (TypeError(list indices must be integers or slices, not str)); null even SUCCEEDED."""
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Result": "r", "ResultPath": "$.error", "End": True}},
    }
    described = run(sfn, machine(definition), text)
    assert (described["status"], described["error"]) == ("FAILED", "States.ReferencePathConflict")
    assert described["cause"] == f"Unable to apply ReferencePath $.error to input {text}"


@pytest.mark.parametrize("text", NON_OBJECTS.values(), ids=NON_OBJECTS.keys())
def test_non_object_input__our_workflow_fails_without_python_text(
    sfn: Any, machine: Callable[..., str], function_arn: str, text: str
) -> None:
    """Our own workflow definition (statemachine/workflow.asl.json, every function a handler that cannot
    take a non-object): the first Task fails, its Catch's ResultPath $.error cannot be added to the input,
    so the execution fails with States.ReferencePathConflict, as on AWS, and no Python text. Failed before:
    States.Runtime, "TypeError(list indices must be integers or slices, not str)"."""
    definition = re.sub(
        r"\$\{(\w+)\}", lambda m: "review/" if m[1] == "ReviewPrefix" else function_arn, WORKFLOW.read_text()
    )
    described = run(sfn, machine(json.loads(definition)), text)
    assert (described["status"], described["error"]) == ("FAILED", "States.ReferencePathConflict")
    assert described["cause"] == f"Unable to apply ReferencePath $.error to input {text}"
    assert_no_python_text(described)
