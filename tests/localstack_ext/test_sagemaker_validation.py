"""SageMaker Runtime through the gateway (issue #12, finding 5): invalid input is refused as AWS refuses it,
and the passthrough's own body read cannot hang.

Real LocalStack (the shared session stack), real stand-ins, boto3 with ``parameter_validation=False`` so the
server's answer is tested, not botocore's client-side check. References: botocore's service model
botocore/data/sagemaker-runtime/2017-05-13/service-2.json, shape ``InvokeEndpointInput`` (EndpointName max 63,
pattern ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*``, no min; CustomAttributes max 1024, pattern ``\\p{ASCII}*``,
sensitive; InferenceId min 1, max 64, pattern ``\\A\\S[\\p{Print}]*\\z``) and its ``ValidationError`` (400,
not a fault); AWS's validation wording ("1 validation error detected: Value '...' at 'member' failed to
satisfy constraint: ...", a sensitive member's value left out) as AWS services answer it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config

from scones.stack.clients import local_client
from tests.helpers.localstack import LocalStackHandle
from tests.helpers.localstack_venv import run_probe
from tests.helpers.sagemaker_endpoints import FAST_WAIT, ROLE, create_config, png_bytes, upload_model

pytestmark = pytest.mark.integration

NAME_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9])*"
CUSTOM_TOO_LONG = (
    "1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: "
    "Member must have length less than or equal to 1024"
)
ID_TOO_LONG = (
    f"1 validation error detected: Value '{'i' * 65}' at 'inferenceId' failed to satisfy constraint: "
    "Member must have length less than or equal to 64"
)


@pytest.fixture(scope="module")
def rt(localstack: LocalStackHandle) -> Any:
    """A runtime client that sends what it is given (no client-side validation, no retries)."""
    config = Config(parameter_validation=False, retries={"mode": "standard", "max_attempts": 1})
    return local_client("sagemaker-runtime", localstack.endpoint_url, config)


@pytest.fixture(scope="module")
def endpoint(localstack: LocalStackHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sm = localstack.client("sagemaker")
    url = upload_model(localstack.client("s3"), key="val/model.tar.gz", tmp=tmp_path_factory.mktemp("m"))
    sm.create_model(
        ModelName="val-tiny", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "x", "ModelDataUrl": url}
    )
    create_config(sm, "val-tiny", "val-tiny")
    sm.create_endpoint(EndpointName="val-ep", EndpointConfigName="val-tiny")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="val-ep", WaiterConfig=FAST_WAIT)
    yield "val-ep"
    sm.delete_endpoint(EndpointName="val-ep")


def refused(rt: Any, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("ContentType", "image/png")
    kwargs.setdefault("Body", png_bytes())
    with pytest.raises(rt.exceptions.ValidationError) as caught:
        rt.invoke_endpoint(**kwargs)
    response: dict[str, Any] = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response


def test_empty_endpoint_name__validation_error_not_a_retryable_500(rt: Any) -> None:
    """Before: LocalStack's router matched no operation for ``/endpoints//invocations`` and answered 500."""
    response = refused(rt, EndpointName="")
    assert response["Error"]["Message"] == (
        "1 validation error detected: Value '' at 'endpointName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )
    with pytest.raises(rt.exceptions.ValidationError):
        rt.invoke_endpoint_with_response_stream(EndpointName="", ContentType="image/png", Body=b"{}")


def test_invalid_endpoint_names__validation_error_before_not_found(rt: Any) -> None:
    """AWS validates before it looks the endpoint up: an invalid name is never "not found"."""
    assert refused(rt, EndpointName="a" * 64)["Error"]["Message"] == (
        f"1 validation error detected: Value '{'a' * 64}' at 'endpointName' failed to satisfy constraint: "
        "Member must have length less than or equal to 63"
    )
    assert refused(rt, EndpointName="bad_name")["Error"]["Message"] == (
        "1 validation error detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_custom_attributes_and_inference_id_limits__refused_with_or_without_a_standin(
    rt: Any, endpoint: str
) -> None:
    for name in (endpoint, "no-such-endpoint"):
        assert (
            refused(rt, EndpointName=name, CustomAttributes="c" * 1025)["Error"]["Message"] == CUSTOM_TOO_LONG
        )
        assert refused(rt, EndpointName=name, InferenceId="i" * 65)["Error"]["Message"] == ID_TOO_LONG
    both = refused(rt, EndpointName="no-such-endpoint", CustomAttributes="c" * 1025, InferenceId="i" * 65)
    assert both["Error"]["Message"] == (
        "2 validation errors detected: "
        + CUSTOM_TOO_LONG.removeprefix("1 validation error detected: ")
        + "; "
        + ID_TOO_LONG.removeprefix("1 validation error detected: ")
    )
    # At the limits, the request goes through and the attributes come back.
    ok = rt.invoke_endpoint(
        EndpointName=endpoint,
        ContentType="image/png",
        Body=png_bytes(),
        CustomAttributes="c" * 1024,
        InferenceId="i" * 64,
    )
    assert ok["CustomAttributes"] == "c" * 1024
    assert len(json.loads(ok["Body"].read())) == 2


READ_BODY_PROBE = """
import io, json, os
from werkzeug.wrappers import Request
from scones_localstack.sagemaker.runtime import RequestTimeout, read_body

read_end, write_end = os.pipe()
os.write(write_end, b"0123456789")  # Content-Length promises 1000; 10 bytes come, and no more
environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "1000", "wsgi.input": os.fdopen(read_end, "rb")}
try:
    read_body(Request(environ), 0.5)
    lying = "returned"
except RequestTimeout as exc:
    lying = [exc.code, exc.status_code, exc.message]
whole = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"abc")}
complete = read_body(Request(whole), 0.5)
print(json.dumps({"lying": lying, "complete": complete.decode()}))
"""


def test_passthrough_body_read__a_body_that_never_completes_is_408_not_a_hang() -> None:
    """The passthrough reads the body itself when a server hands it over still arriving (any server but
    twisted, which LocalStack and scones run, where the gateway's own read timeout applies first)."""
    result = run_probe(READ_BODY_PROBE)
    assert result["lying"] == [
        "RequestTimeoutException",
        408,
        "Problems with the request at the HTTP level. Reading the Request timed out.",
    ]
    assert result["complete"] == "abc"
