"""AWS Lambda's Invoke limits and timeout shape, enforced by the stack itself: every client (boto3, the AWS
CLI, Step Functions' ``lambda:invoke``) and every function get them, not only our own code. Real LocalStack
(the session ``localstack`` fixture, process executor), real function processes, boto3 over loopback.

What AWS does, and where it is written:

- Payload limits: "For synchronous invocations, the maximum payload size is 6 MB. For asynchronous
  invocations, the maximum payload size is 1 MB." (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html;
  the same text in botocore's ``lambda/2015-03-31/service-2.json``, operation ``Invoke`` and
  ``InvocationRequest.Payload``; the 413 errors there are ``RequestTooLargeException`` and
  ``SerializedRequestEntityTooLargeException``). 6 MB = 6,291,456 bytes.
- Async raised from 256 KB to 1 MB in October 2025: "AWS Lambda increases maximum payload size from 256 KB
  to 1 MB for asynchronous invocations"; https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-
  services-now-support-payloads-up-to-1-mb/ (1 MB = 1,048,576 bytes).
- The wire error is HTTP 413 with code ``RequestEntityTooLargeException`` (not the modelled name, so botocore
  raises a plain ``ClientError``): a body over 6 MB gets "Request must be smaller than 6291456 bytes for the
  InvokeFunction operation"; an Event payload over the async limit gets "<n> byte payload is too large for the
  Event invocation type (limit 1048576 bytes)" (both as reported by boto3 users against AWS; LocalStack uses
  the first wording for CreateFunction in ``services/lambda_/provider.py``).
- A response over the limit: HTTP 200, ``FunctionError: Unhandled``, payload ``{"errorMessage": "Response
  payload size exceeded maximum allowed payload size (6291556 bytes).", "errorType":
  "Function.ResponseSizeTooLarge"}`` (moto's ``test_lambda_invoke.py`` and LocalStack's AWS-validated
  ``test_lambda_too_large_response``; 6,291,556 = 6 MiB + 100, LocalStack's
  ``LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES`` default).
- Timeout: ``{"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: <id> Error: Task timed out after
  1.00 seconds"}`` (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html
  #troubleshooting-timeouts; LocalStack's Go init ``cmd/localstack/custom_interop.go``), and the REPORT line
  ends ``Status: timeout`` (https://aaronstuyvenberg.com/posts/lambda-doom-loop shows AWS's line).
  Step Functions' ``lambda:invoke`` then fails the task with error ``Sandbox.Timedout``, the payload as cause.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.helpers.aws_cli import run_aws_cli
from tests.helpers.lambda_functions import NO_RETRIES, function_factory, poll, zip_files
from tests.helpers.roles import invoke_functions, states_role

pytestmark = pytest.mark.integration

MAX_REQUEST = 6_291_456  # any invocation type
MAX_EVENT_PAYLOAD = 1_048_576  # InvocationType=Event
MAX_RESPONSE = 6_291_556  # RequestResponse
TOO_LARGE_REQUEST = f"Request must be smaller than {MAX_REQUEST} bytes for the InvokeFunction operation"

SIZED = '''
import time


def handler(event, context):
    """Sleeps if asked, answers a JSON string of exactly `respond` bytes if asked, else the pad's length."""
    time.sleep(event.get("sleep", 0))
    if "respond" in event:
        return "a" * (event["respond"] - 2)  # the JSON quotes make up the rest
    return {"pad": len(event.get("pad", ""))}
'''


def payload_of(size: int) -> bytes:
    """A JSON object of exactly `size` bytes: {"pad":"aaa…"}."""
    return b'{"pad":"' + b"a" * (size - 10) + b'"}'


@pytest.fixture(scope="module")
def lambda_client(localstack: Any) -> Any:
    """No client retries: a refused request must fail once, not be sent three times."""
    return localstack.client("lambda", retries=NO_RETRIES)


@pytest.fixture(scope="module")
def make_function(lambda_client: Any) -> Iterator[Callable[..., str]]:
    with function_factory(lambda_client, Timeout=30, MemorySize=256) as create_function:
        yield lambda **overrides: create_function(
            "limits", zip_files({"lambda_function.py": SIZED}), **overrides
        )


@pytest.fixture(scope="module")
def sized(make_function: Callable[..., str]) -> str:
    return make_function()


@pytest.fixture(scope="module")
def timed_out(lambda_client: Any, make_function: Callable[..., str]) -> tuple[str, dict[str, Any], bytes]:
    """A 1 s function asked to sleep 3 s: the function, the Invoke response and its payload."""
    name = make_function(Timeout=1)
    response = lambda_client.invoke(FunctionName=name, Payload=b'{"sleep": 3}', LogType="Tail")
    return name, response, response["Payload"].read()


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


# --- request size --------------------------------------------------------------------------------------
def test_sync_request__over_6_mb_is_413(lambda_client: Any, sized: str) -> None:
    response = refused(lambda: lambda_client.invoke(FunctionName=sized, Payload=payload_of(MAX_REQUEST + 1)))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert response["Error"]["Message"] == TOO_LARGE_REQUEST


def test_sync_request__exactly_6_mb_is_invoked(lambda_client: Any, sized: str) -> None:
    response = lambda_client.invoke(FunctionName=sized, Payload=payload_of(MAX_REQUEST))
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"pad": MAX_REQUEST - 10}


def test_sync_request__without_payload_the_function_gets_an_empty_object(
    lambda_client: Any, sized: str
) -> None:
    response = lambda_client.invoke(FunctionName=sized)
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"pad": 0}


def test_sync_request__aws_cli_gets_the_same_error(localstack: Any, sized: str, tmp_path: Path) -> None:
    """The AWS CLI (LocalStack's venv ships it) sends the body as it is: the stack refuses it the same way."""
    body = tmp_path / "payload.json"
    body.write_bytes(payload_of(MAX_REQUEST + 1))
    invoke = ["lambda", "invoke", "--function-name", sized, "--payload", f"fileb://{body}"]
    out = run_aws_cli(localstack.endpoint_url, tmp_path, *invoke, str(tmp_path / "out.json"))
    assert out.returncode != 0
    assert (
        "An error occurred (RequestEntityTooLargeException) when calling the Invoke operation: "
        + TOO_LARGE_REQUEST
    ) in out.stderr


def test_async_request__over_1_mb_is_413(lambda_client: Any, sized: str) -> None:
    size = MAX_EVENT_PAYLOAD + 1
    response = refused(
        lambda: lambda_client.invoke(FunctionName=sized, InvocationType="Event", Payload=payload_of(size))
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert response["Error"]["Message"] == (
        f"{size} byte payload is too large for the Event invocation type (limit {MAX_EVENT_PAYLOAD} bytes)"
    )


def test_async_request__over_6_mb_is_the_request_limit(lambda_client: Any, sized: str) -> None:
    response = refused(
        lambda: lambda_client.invoke(
            FunctionName=sized, InvocationType="Event", Payload=payload_of(MAX_REQUEST + 1)
        )
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert response["Error"]["Message"] == TOO_LARGE_REQUEST


def test_async_request__exactly_1_mb_is_accepted(lambda_client: Any, sized: str) -> None:
    response = lambda_client.invoke(
        FunctionName=sized, InvocationType="Event", Payload=payload_of(MAX_EVENT_PAYLOAD)
    )
    assert response["StatusCode"] == 202


# --- response size -------------------------------------------------------------------------------------
def test_response__over_limit_is_function_error(lambda_client: Any, sized: str) -> None:
    event = json.dumps({"respond": MAX_RESPONSE + 1}).encode()
    response = lambda_client.invoke(FunctionName=sized, Payload=event)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    message = f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."
    assert json.loads(response["Payload"].read()) == {
        "errorMessage": message,
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_response__exactly_at_limit_is_returned_whole(lambda_client: Any, sized: str) -> None:
    response = lambda_client.invoke(
        FunctionName=sized, Payload=json.dumps({"respond": MAX_RESPONSE}).encode()
    )
    body = response["Payload"].read()
    assert "FunctionError" not in response
    assert len(body) == MAX_RESPONSE
    assert body == b'"' + b"a" * (MAX_RESPONSE - 2) + b'"'


# --- timeout -------------------------------------------------------------------------------------------
def test_timeout__sandbox_timedout_payload(timed_out: tuple[str, dict[str, Any], bytes]) -> None:
    _, response, body = timed_out
    request_id = response["ResponseMetadata"]["RequestId"]
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(body) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }


def test_timeout__report_line_says_status_timeout(
    localstack: Any, timed_out: tuple[str, dict[str, Any], bytes]
) -> None:
    name, response, _ = timed_out
    request_id = response["ResponseMetadata"]["RequestId"]
    report = re.compile(
        rf"REPORT RequestId: {request_id}\tDuration: 1000\.00 ms\tBilled Duration: 1000 ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: \d+ MB\tStatus: timeout$",
        re.MULTILINE,
    )
    tail = base64.b64decode(response["LogResult"]).decode()
    assert report.search(tail), tail
    logs = localstack.client("logs")

    def reports() -> list[str]:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"] for e in events if e["message"].startswith(f"REPORT RequestId: {request_id}")]

    assert report.search(poll(reports)[0])


def test_timeout__step_functions_task_fails_with_sandbox_timedout(
    localstack: Any, lambda_client: Any, timed_out: tuple[str, dict[str, Any], bytes]
) -> None:
    done = run_lambda_task(localstack, lambda_client, timed_out[0], {"sleep": 3})
    assert done["status"] == "FAILED"
    assert done["error"] == "Sandbox.Timedout"
    cause = json.loads(done["cause"])
    assert cause["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(r"RequestId: \S+ Error: Task timed out after 1\.00 seconds", cause["errorMessage"])


def test_response__step_functions_task_fails_with_response_size_too_large(
    localstack: Any, lambda_client: Any, sized: str
) -> None:
    """Step Functions' lambda:invoke reaches the same Invoke: the task fails as it would on AWS."""
    done = run_lambda_task(localstack, lambda_client, sized, {"respond": MAX_RESPONSE + 1})
    assert done["status"] == "FAILED"
    assert done["error"] == "Function.ResponseSizeTooLarge"
    assert json.loads(done["cause"])["errorType"] == "Function.ResponseSizeTooLarge"


def run_lambda_task(localstack: Any, lambda_client: Any, name: str, event: dict[str, Any]) -> dict[str, Any]:
    """One execution of a one-Task state machine that invokes `name` with `event`: its final description."""
    sfn = localstack.client("stepfunctions")
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    task["Parameters"] = {"FunctionName": arn, "Payload.$": "$"}
    machine = sfn.create_state_machine(
        name=f"limits-sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": "Call", "States": {"Call": task}}),
        roleArn=states_role(localstack.client("iam"), "sfn-lambda-limits", [invoke_functions(name)]),
    )["stateMachineArn"]
    try:
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(event))["executionArn"]
        return poll(
            lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d
        )
    finally:
        sfn.delete_state_machine(stateMachineArn=machine)
