"""Requests LocalStack's parser cannot read are refused as AWS refuses them (issue #14 follow-up).

Before: a wrongly typed field (TestState ``stateConfiguration.retrierRetryCount: "x"``) sent by a raw
HTTP client, or boto3 with ``parameter_validation=False``, got a 500 ``InternalError`` "exception while
calling stepfunctions with unknown operation: Invalid type when parsing ..." for every service, and
values Python converts (``"5"`` for an integer) were taken. Raw HTTP against the real LocalStack (the
session stack), so the server's answer is tested, not botocore's.

What AWS answers (scones_localstack/request_parsing.py has the detail):
- JSON protocols: 400 ``SerializationException`` for a body that is not JSON or a value of the wrong type
  (Smithy's protocol compliance suite, smithy-lang/smithy smithy-aws-protocol-tests, restJson1
  ``httpMalformedRequestTests`` "When the request body is not valid JSON, the response should be a 400
  SerializationException"; Coral's "STRING_VALUE cannot be converted to Integer", ECS via
  aws/aws-cdk-cli#973); a service that models its own error for it answers that one (Lambda's
  ``InvalidRequestContentException``, botocore lambda/2015-03-31/service-2.json: "The request body could
  not be parsed as JSON, or a request header is invalid").
- an unknown ``X-Amz-Target``: 400 ``UnknownOperationException``.
- query protocols: 400 ``InvalidParameterValue`` / ``InvalidAction`` (AWS's Common Errors pages).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.helpers.lambda_functions import execution_role
from tests.helpers.localstack import LocalStackHandle
from tests.helpers.roles import role_arn, states_role

pytestmark = pytest.mark.integration

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)
PYTHON_WORDS = ("Traceback", "exception while calling", "Invalid type when parsing", "Error(", "'x'")
SFN_DEFINITION = json.dumps(
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
)
ROLE = role_arn("sfn-parsing")  # Pass states only: the role needs no permission


@pytest.fixture(scope="module", autouse=True)
def _real_role(localstack: LocalStackHandle) -> None:
    """The requests name a real role, as they would on AWS (they are refused before it matters)."""
    states_role(localstack.client("iam"), "sfn-parsing")


def _headers(service: str, **extra: str) -> dict[str, str]:
    return {"Authorization": AUTH.format(service=service), "X-Amz-Date": "20260101T000000Z", **extra}


def sfn(localstack: LocalStackHandle, operation: str, body: str | bytes) -> requests.Response:
    """POST an awsJson1_0 request to Step Functions as any HTTP client can."""
    headers = _headers(
        "states",
        **{"X-Amz-Target": f"AWSStepFunctions.{operation}", "Content-Type": "application/x-amz-json-1.0"},
    )
    return requests.post(localstack.endpoint_url, data=body, headers=headers, timeout=30)


def error_of(response: requests.Response) -> tuple[int, str, str]:
    """(status, code, message) of a JSON-protocol error answer, with no Python text anywhere in it."""
    for word in PYTHON_WORDS:
        assert word not in response.text, response.text
    body: dict[str, Any] = response.json()
    code = body.get("__type") or response.headers.get("x-amzn-ErrorType", "")
    code = code.split("#")[-1].split(":")[0]
    return response.status_code, code, body.get("message") or body.get("Message") or ""


def test_wrongly_typed_test_state_field_is_a_serialization_exception(localstack: LocalStackHandle) -> None:
    """The finding: ``retrierRetryCount: "x"`` was a 500 InternalError; AWS: 400 SerializationException."""
    body = json.dumps(
        {
            "definition": json.dumps({"Type": "Pass", "End": True}),
            "input": "{}",
            "stateConfiguration": {"retrierRetryCount": "x"},
        }
    )
    assert error_of(sfn(localstack, "TestState", body)) == (
        400,
        "SerializationException",
        "STRING_VALUE cannot be converted to Integer",
    )


def test_a_number_as_a_string_is_refused_not_converted(localstack: LocalStackHandle) -> None:
    """``"5"`` for an integer: LocalStack's parser converted it; Coral refuses a string token."""
    state = json.dumps({"Type": "Pass", "End": True})
    body = json.dumps({"definition": state, "stateConfiguration": {"retrierRetryCount": "5"}})
    assert error_of(sfn(localstack, "TestState", body))[:2] == (400, "SerializationException")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", 5, "NUMBER_VALUE cannot be converted to String"),
        ("name", {"a": 1}, "Start of structure or map found where not expected."),
        ("tags", "x", "STRING_VALUE cannot be converted to List"),
        ("publish", "yes", "STRING_VALUE cannot be converted to Boolean"),
        ("tags", [{"key": ["k"]}], "Start of list found where not expected."),
    ],
)
def test_wrong_json_types_in_create_state_machine(
    localstack: LocalStackHandle, field: str, value: Any, message: str
) -> None:
    """Every JSON type mismatch, nested ones included, is a 400 SerializationException; nothing is created."""
    body = {"name": "typed", "definition": SFN_DEFINITION, "roleArn": ROLE, field: value}
    assert error_of(sfn(localstack, "CreateStateMachine", json.dumps(body))) == (
        400,
        "SerializationException",
        message,
    )
    names = [m["name"] for m in localstack.client("stepfunctions").list_state_machines()["stateMachines"]]
    assert "typed" not in names


def test_body_that_is_not_json(localstack: LocalStackHandle) -> None:
    """Smithy: "When the request body is not valid JSON, the response should be a 400
    SerializationException"."""
    status, code, _ = error_of(sfn(localstack, "ListStateMachines", b"{not json"))
    assert (status, code) == (400, "SerializationException")


def test_unknown_target(localstack: LocalStackHandle) -> None:
    """An X-Amz-Target the service does not have: 400 UnknownOperationException, not a 500."""
    status, code, _ = error_of(sfn(localstack, "NoSuchOperation", b"{}"))
    assert (status, code) == (400, "UnknownOperationException")


def test_well_typed_requests_still_work(localstack: LocalStackHandle) -> None:
    """The check refuses only what AWS refuses: a valid raw request (null for an absent member) works."""
    response = sfn(localstack, "ListStateMachines", json.dumps({"maxResults": 10, "nextToken": None}))
    assert response.status_code == 200, response.text
    assert "stateMachines" in response.json()


def test_sagemaker_json_wrong_type(localstack: LocalStackHandle) -> None:
    """SageMaker (awsJson1_1) answers as Step Functions does."""
    headers = _headers(
        "sagemaker",
        **{"X-Amz-Target": "SageMaker.ListModels", "Content-Type": "application/x-amz-json-1.1"},
    )
    response = requests.post(
        localstack.endpoint_url, data=json.dumps({"MaxResults": "many"}), headers=headers, timeout=30
    )
    assert error_of(response) == (
        400,
        "SerializationException",
        "STRING_VALUE cannot be converted to Integer",
    )


def test_lambda_rest_json_wrong_type_is_its_modeled_error(localstack: LocalStackHandle) -> None:
    """Lambda (restJson1) models InvalidRequestContentException for an unreadable body; a wrong type and
    a body that is not JSON get it, 400, with the error type in ``x-amzn-ErrorType`` as restJson1 puts it."""
    url = f"{localstack.endpoint_url}/2015-03-31/functions"
    headers = _headers("lambda", **{"Content-Type": "application/json"})
    role = execution_role(localstack.client("lambda"))
    body = {"FunctionName": "typed", "Runtime": "python3.12", "Role": role, "Handler": "h.h", "Timeout": "x"}
    response = requests.post(url, data=json.dumps(body), headers=headers, timeout=30)
    status, code, message = error_of(response)
    assert (status, code, message) == (
        400,
        "InvalidRequestContentException",
        "STRING_VALUE cannot be converted to Integer",
    )
    assert response.headers["x-amzn-ErrorType"].startswith("InvalidRequestContentException")
    broken = requests.post(url, data=b"{", headers=headers, timeout=30)
    assert error_of(broken)[:2] == (400, "InvalidRequestContentException")


def test_query_protocol_unreadable_value(localstack: LocalStackHandle) -> None:
    """A query-protocol service (SQS's query mode) with an integer it cannot read: 400
    InvalidParameterValue in the query protocol's XML, no Python text."""
    headers = _headers("sqs", **{"Content-Type": "application/x-www-form-urlencoded"})
    body = "Action=ListQueues&Version=2012-11-05&MaxResults=x"
    response = requests.post(localstack.endpoint_url, data=body, headers=headers, timeout=30)
    for word in PYTHON_WORDS:
        assert word not in response.text, response.text
    assert response.status_code == 400, response.text
    assert "<Code>InvalidParameterValue</Code>" in response.text


def test_s3_rest_xml_body_that_is_not_xml(localstack: LocalStackHandle) -> None:
    """S3 (rest-xml) with a body that is not XML: 400 MalformedXML in S3's Error document
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: "The XML you provided was not
    well-formed or did not validate against our published schema")."""
    s3 = localstack.client("s3")
    s3.create_bucket(Bucket="request-parsing")
    try:
        url = f"{localstack.endpoint_url}/request-parsing?tagging"
        headers = _headers(
            "s3", **{"Content-Type": "application/xml", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
        )
        response = requests.put(url, data=b"<Tagging><TagSet><Tag>", headers=headers, timeout=30)
        for word in PYTHON_WORDS:
            assert word not in response.text, response.text
        assert response.status_code == 400, response.text
        assert "<Code>MalformedXML</Code>" in response.text
    finally:
        s3.delete_bucket(Bucket="request-parsing")


def test_body_of_the_wrong_json_type(localstack: LocalStackHandle) -> None:
    """A JSON array where the input structure is expected: "Start of list found where not expected."."""
    assert error_of(sfn(localstack, "ListStateMachines", b"[1]")) == (
        400,
        "SerializationException",
        "Start of list found where not expected.",
    )


def test_lambda_unknown_path_and_unreadable_query_value(localstack: LocalStackHandle) -> None:
    """restJson1: a path no operation has is 404 UnknownOperationException; a query value that is not an
    integer (``MaxItems=x``) is refused 400 (Smithy's restJson1 malformed-integer cases cover query values
    as well as bodies), with no Python text."""
    unknown = requests.get(
        f"{localstack.endpoint_url}/2015-03-31/nope/x", headers=_headers("lambda"), timeout=30
    )
    assert error_of(unknown)[:2] == (404, "UnknownOperationException")
    listed = requests.get(
        f"{localstack.endpoint_url}/2015-03-31/functions/?MaxItems=x", headers=_headers("lambda"), timeout=30
    )
    assert error_of(listed) == (
        400,
        "InvalidRequestContentException",
        "A value in the request could not be read.",
    )
