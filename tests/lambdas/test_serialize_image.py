"""serialize image data: the pure parts with no network; the handler against moto's in-process S3 fake."""

from __future__ import annotations

import base64

import boto3
import pytest
from moto import mock_aws

from lambdas.serialize_image import app
from lambdas.serialize_image.logic import (
    MAX_STATE_BYTES,
    DataLimitExceededError,
    ImageNotFoundError,
    ImageRef,
    InvalidEventError,
    check_output_size,
    parse_event,
    serialize,
)
from scones.workflow import guards
from tests.helpers.events import load_event


def test_parse_event__flat_and_wrapped_shapes_agree() -> None:
    assert parse_event(load_event("serialize_image")) == parse_event(load_event("serialize_image_wrapped"))
    assert parse_event(load_event("serialize_image")) == ImageRef("scones-workflow", "test/bike_s_000658.png")


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "x",
        {},
        {"s3_bucket": "b"},
        {"s3_bucket": "", "s3_key": "k"},
        {"s3_bucket": 1, "s3_key": "k"},
    ],
)
def test_parse_event__invalid(event: object) -> None:
    with pytest.raises(InvalidEventError, match="s3_bucket"):
        parse_event(event)


def test_serialize__original_body_shape() -> None:
    body = serialize(ImageRef("b", "test/x.png"), b"\x89PNG-bytes")
    assert body == {
        "image_data": base64.b64encode(b"\x89PNG-bytes").decode(),
        "s3_bucket": "b",
        "s3_key": "test/x.png",
        "inferences": [],
    }


def test_check_output_size__state_limit_names_the_aws_error() -> None:
    small = {"body": serialize(ImageRef("b", "k"), b"x" * 1000)}
    assert check_output_size(small, "Serialize image data") < MAX_STATE_BYTES
    big = {"body": serialize(ImageRef("b", "k"), b"x" * 200_000)}  # base64 → ~267 KB
    with pytest.raises(DataLimitExceededError, match="exceeding the maximum number of bytes") as info:
        check_output_size(big, "Serialize image data")
    assert type(info.value).__name__ == "DataLimitExceededError"
    assert "'Serialize image data'" in str(info.value)


def test_check_output_size__sync_lambda_limit_comes_first() -> None:
    huge = {"body": serialize(ImageRef("b", "k"), b"x" * 5_000_000)}
    with pytest.raises(Exception, match="Response payload size") as info:
        check_output_size(huge, "s")
    assert type(info.value).__name__ == "Function.ResponseSizeTooLarge"


def test_limits__lambda_copies_match_the_harness_constants() -> None:
    from lambdas.classify.logic import MAX_ENDPOINT_PAYLOAD_BYTES
    from lambdas.serialize_image.logic import MAX_SYNC_RESPONSE_BYTES

    assert MAX_STATE_BYTES == guards.MAX_STATE_BYTES
    assert MAX_SYNC_RESPONSE_BYTES == guards.MAX_SYNC_LAMBDA_RESPONSE_BYTES
    assert MAX_ENDPOINT_PAYLOAD_BYTES == guards.MAX_ENDPOINT_PAYLOAD_BYTES


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    """moto's in-process S3 fake (unit tier: boto3 still builds and parses real requests)."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="scones-workflow")
        app.set_client(client)
        yield client
    app.set_client(None)


def test_handler__returns_original_shape(s3, context) -> None:
    s3.put_object(Bucket="scones-workflow", Key="test/bike_s_000658.png", Body=b"\x89PNG image")
    out = app.handler(load_event("serialize_image_wrapped"), context)
    assert out["statusCode"] == 200
    assert base64.b64decode(out["body"]["image_data"]) == b"\x89PNG image"
    assert out["body"]["inferences"] == []


def test_handler__missing_object_is_image_not_found(s3, context) -> None:
    with pytest.raises(ImageNotFoundError, match=r"s3://scones-workflow/test/nope.png does not exist"):
        app.handler({"s3_bucket": "scones-workflow", "s3_key": "test/nope.png"}, context)


def test_handler__missing_bucket_is_image_not_found(s3, context) -> None:
    with pytest.raises(ImageNotFoundError, match="s3://no-such-bucket/k"):
        app.handler({"s3_bucket": "no-such-bucket", "s3_key": "k"}, context)
