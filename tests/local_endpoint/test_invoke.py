"""Functional tier over the wire: a real endpoint process, real boto3 ``sagemaker-runtime`` calls.

Errors are asserted through botocore's modelled exceptions, so the test fails if the wire shape drifts from
what botocore parses (x-amzn-ErrorType + JSON body).
"""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.endpoint_process import ENDPOINT_NAME, EndpointProcess, cifar_pngs, reference_probabilities
from tests.helpers.images import png_with_header, solid_jpeg, solid_png

RED = solid_png((230, 20, 20))
BLUE_JPEG = solid_jpeg((10, 20, 220))
CONTENT_BODIES = {"image/png": RED, "image/jpeg": BLUE_JPEG, "application/x-image": RED, None: RED}
ACCEPTS = {"application/json": "json", "*/*": "json", None: "json", "application/jsonlines": "jsonlines"}


def invoke(
    client: Any, body: bytes, content_type: str | None = None, accept: str | None = None, **kw: Any
) -> Any:
    args: dict[str, Any] = {"EndpointName": ENDPOINT_NAME, "Body": body, **kw}
    if content_type is not None:
        args["ContentType"] = content_type
    if accept is not None:
        args["Accept"] = accept
    return client.invoke_endpoint(**args)


@pytest.mark.parametrize("content_type", list(CONTENT_BODIES))
@pytest.mark.parametrize("accept", list(ACCEPTS))
def test_invoke_endpoint__content_type_x_accept(
    client: Any, artifact: Path, content_type: str | None, accept: str | None
) -> None:
    body = CONTENT_BODIES[content_type]
    resp = invoke(client, body, content_type, accept)
    payload = json.loads(resp["Body"].read())
    want = reference_probabilities(body, artifact)
    assert resp["InvokedProductionVariant"] == "AllTraffic"
    if ACCEPTS[accept] == "jsonlines":
        assert resp["ContentType"] == "application/jsonlines"
        assert list(payload) == ["prediction"]
        payload = payload["prediction"]
    else:
        assert resp["ContentType"] == "application/json"
    assert payload == pytest.approx(want, abs=1e-6)
    assert sum(payload) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.shared
def test_invoke_endpoint__real_cifar_pngs_match_direct_onnxruntime(client: Any, artifact: Path) -> None:
    for path in cifar_pngs()[:20]:
        body = path.read_bytes()
        got = json.loads(invoke(client, body, "image/png")["Body"].read())
        assert got == pytest.approx(reference_probabilities(body, artifact), abs=1e-6), path.name


def test_invoke_endpoint__confident_and_different_for_red_and_blue(client: Any) -> None:
    red = json.loads(invoke(client, RED, "image/png")["Body"].read())
    blue = json.loads(invoke(client, BLUE_JPEG, "image/jpeg")["Body"].read())
    assert red[0] > 0.95 and blue[1] > 0.95


def test_invoke_endpoint__custom_attributes_and_inference_id(endpoint: EndpointProcess, client: Any) -> None:
    resp = invoke(client, RED, "image/png", CustomAttributes="trace=abc;v=1", InferenceId="inf-42")
    assert resp["CustomAttributes"] == "trace=abc;v=1"
    record = wait_for_capture(endpoint, lambda r: r["eventMetadata"].get("inferenceId") == "inf-42")
    cap = record["captureData"]
    assert base64.b64decode(cap["endpointInput"]["data"]) == RED
    assert cap["endpointInput"] == {
        "observedContentType": "image/png",
        "mode": "INPUT",
        "data": cap["endpointInput"]["data"],
        "encoding": "BASE64",
    }
    assert cap["endpointOutput"]["encoding"] == "JSON"
    assert json.loads(cap["endpointOutput"]["data"])[0] > 0.95


def wait_for_capture(endpoint: EndpointProcess, match: Any, timeout: float = 10.0) -> dict[str, Any]:
    root: Path = endpoint.capture_dir  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in root.rglob("*.jsonl"):
            for line in path.read_text().splitlines():
                record = json.loads(line)
                if match(record):
                    rel = path.relative_to(root).parts
                    assert rel[:2] == (ENDPOINT_NAME, "AllTraffic")
                    return record
        time.sleep(0.1)
    raise AssertionError(f"no matching capture record under {root}")


def test_invoke_endpoint__fifty_concurrent_requests_all_correct(client: Any, artifact: Path) -> None:
    pngs = [solid_png((i * 5 % 256, 255 - i * 5 % 256, (i * 37) % 256)) for i in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda b: json.loads(invoke(client, b, "image/png")["Body"].read()), pngs))
    for body, got in zip(pngs, results, strict=True):
        assert got == pytest.approx(reference_probabilities(body, artifact), abs=1e-6)


# ---- errors, through botocore's modelled exceptions ----


def assert_model_error(exc: Any, original_status: int, fragment: str) -> None:
    err = exc.value.response
    assert err["Error"]["Code"] == "ModelError"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert err["OriginalStatusCode"] == original_status
    assert fragment in err["OriginalMessage"]
    assert err["Error"]["Message"].startswith(
        f"Received client error ({original_status}) from primary with message"
    )
    assert err["LogStreamArn"].endswith(f"/aws/sagemaker/Endpoints/{ENDPOINT_NAME}")


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status", "fragment"),
    [
        (b"not an image at all", "image/png", None, 400, "Unable to decode"),
        (RED[:60], "image/png", None, 400, "decode"),
        (png_with_header(5000, 5000), "image/png", None, 400, "decompression bomb"),
        (png_with_header(30000, 30000), "application/x-image", None, 400, "too large"),
        (RED, "text/csv", None, 415, "text/csv"),
        (RED, "image/png", "text/csv", 406, "text/csv"),
    ],
    ids=["garbage", "truncated", "bomb-header", "bomb-pillow", "content-type", "accept"],
)
def test_invoke_endpoint__model_errors(
    client: Any, body: bytes, content_type: str, accept: str | None, status: int, fragment: str
) -> None:
    with pytest.raises(client.exceptions.ModelError) as exc:
        invoke(client, body, content_type, accept)
    assert_model_error(exc, status, fragment)
    assert json.loads(invoke(client, RED, "image/png")["Body"].read())[0] > 0.95  # still healthy


def test_invoke_endpoint__unknown_and_malformed_names(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationError) as exc:
        client.invoke_endpoint(EndpointName="no-such-endpoint", Body=RED, ContentType="image/png")
    assert (
        exc.value.response["Error"]["Message"]
        == "Endpoint no-such-endpoint of account 000000000000 not found."
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for bad in ("bike_moto", "-leading", "trailing-"):  # too long: test_hardening
        with pytest.raises(client.exceptions.ValidationError, match="regular expression"):
            client.invoke_endpoint(EndpointName=bad, Body=RED, ContentType="image/png")


def test_invoke_endpoint__oversize_body_is_validation_error(client: Any) -> None:
    limit = 6_291_456
    with pytest.raises(client.exceptions.ValidationError, match=str(limit)):
        invoke(client, b"\0" * (limit + 1), "image/png")
    # exactly at the limit is accepted by the API layer (then refused by the model as undecodable)
    with pytest.raises(client.exceptions.ModelError):
        invoke(client, b"\0" * limit, "image/png")


def test_invoke_endpoint__chunked_oversize_body_is_refused_without_content_length(
    endpoint: EndpointProcess,
) -> None:
    def chunks() -> Any:
        for _ in range(7):
            yield b"\0" * (1024 * 1024)

    resp = httpx.post(
        f"{endpoint.url}/endpoints/{ENDPOINT_NAME}/invocations",
        content=chunks(),
        headers={"Content-Type": "image/png"},
    )
    assert resp.status_code == 400
    assert resp.headers["x-amzn-ErrorType"].split(":")[0] == "ValidationError"
    assert "6291456" in resp.json()["message"]


def test_invoke_endpoint__unknown_target_variant(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationError, match="Blue"):
        invoke(client, RED, "image/png", TargetVariant="Blue")


# ---- the container face (BYOC contract) ----


def test_container__ping_and_invocations(endpoint: EndpointProcess, artifact: Path) -> None:
    assert httpx.get(f"{endpoint.url}/ping").status_code == 200
    ok = httpx.post(f"{endpoint.url}/invocations", content=RED, headers={"Content-Type": "image/png"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
    assert ok.json() == pytest.approx(reference_probabilities(RED, artifact), abs=1e-6)
    bad = httpx.post(f"{endpoint.url}/invocations", content=RED, headers={"Content-Type": "text/plain"})
    assert bad.status_code == 415 and "text/plain" in bad.json()["message"]  # SageMaker wraps this as 424
