"""classify: pure parsing and error mapping with no network; the handler over botocore's Stubber
(no network: the unit tier), which still validates the request against the real InvokeEndpoint model."""

from __future__ import annotations

import base64
import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from lambdas.classify import app
from lambdas.classify.logic import (
    ClassifyError,
    EndpointNotFoundError,
    EndpointUnavailableError,
    InvalidEventError,
    ModelInvocationError,
    PayloadTooLargeError,
    decode_image,
    map_client_error,
    parse_body,
    parse_inferences,
)
from tests.helpers.events import load_event


def test_parse_body__wrapped_and_flat() -> None:
    wrapped = load_event("classify")
    assert parse_body(wrapped) == parse_body(wrapped["body"]) == wrapped["body"]


@pytest.mark.parametrize("event", [{}, {"image_data": 3}, {"body": {"s3_key": "k"}}, None])
def test_parse_body__invalid(event: object) -> None:
    with pytest.raises(InvalidEventError, match="image_data"):
        parse_body(event)


def test_decode_image__bad_base64() -> None:
    with pytest.raises(InvalidEventError, match="not valid base64"):
        decode_image({"image_data": "@@@"})


def test_decode_image__above_endpoint_limit() -> None:
    data = base64.b64encode(b"x" * (6_291_456 + 1)).decode()
    with pytest.raises(PayloadTooLargeError, match="6291457 bytes exceeds the endpoint limit"):
        decode_image({"image_data": data})


@pytest.mark.parametrize(
    ("raw", "expected"), [(b"[0.25, 0.75]", [0.25, 0.75]), (b'{"prediction": [1, 0]}', [1.0, 0.0])]
)
def test_parse_inferences__accepted_shapes(raw: bytes, expected: list[float]) -> None:
    assert parse_inferences(raw) == expected


@pytest.mark.parametrize("raw", [b"nope", b"[]", b'{"a": 1}', b'["x"]'])
def test_parse_inferences__rejected(raw: bytes) -> None:
    with pytest.raises(ModelInvocationError):
        parse_inferences(raw)


@pytest.mark.parametrize(
    ("code", "status", "message", "expected"),
    [
        ("ModelNotReadyException", 429, "not ready", EndpointUnavailableError),
        ("ThrottlingException", 400, "slow down", EndpointUnavailableError),
        ("ServiceUnavailable", 503, "down", EndpointUnavailableError),
        ("InternalFailure", 500, "boom", EndpointUnavailableError),
        ("ValidationError", 400, "Endpoint ep of account 000000000000 not found.", EndpointNotFoundError),
        ("ValidationError", 413, "too large", PayloadTooLargeError),
        ("ModelError", 424, "Received client error (415)", ModelInvocationError),
        ("AccessDeniedException", 400, "no", ClassifyError),
    ],
)
def test_map_client_error__names(code: str, status: int, message: str, expected: type) -> None:
    error = map_client_error(code, status, message, "ep")
    assert type(error) is expected
    assert message in str(error)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    client = boto3.client(
        "sagemaker-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    monkeypatch.setattr(app, "ENDPOINT_NAME", "scones-endpoint")
    app.set_client(client)
    with Stubber(client) as stubber:
        yield stubber
    app.set_client(None)


def _expected(event: dict) -> dict:
    return {
        "EndpointName": "scones-endpoint",
        "ContentType": "image/png",
        "Accept": "application/json",
        "Body": base64.b64decode(event["body"]["image_data"]),
    }


def test_handler__stores_inferences(stub, context) -> None:
    event = load_event("classify")
    raw = json.dumps([0.96, 0.04]).encode()
    stub.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(raw), len(raw)), "ContentType": "application/json"},
        _expected(event),
    )
    out = app.handler(event, context)
    assert out == {"statusCode": 200, "body": {**event["body"], "inferences": [0.96, 0.04]}}


def test_handler__model_not_ready_is_retriable(stub, context) -> None:
    event = load_event("classify")
    for _ in range(2):  # the client's own (short) retry budget
        stub.add_client_error("invoke_endpoint", "ModelNotReadyException", "Model not ready", 429)
    with pytest.raises(EndpointUnavailableError, match="ModelNotReadyException: Model not ready"):
        app.handler(event, context)


def test_handler__unknown_endpoint(stub, context) -> None:
    stub.add_client_error(
        "invoke_endpoint",
        "ValidationError",
        "Endpoint scones-endpoint of account 000000000000 not found.",
        400,
    )
    with pytest.raises(EndpointNotFoundError, match="not found"):
        app.handler(load_event("classify"), context)
