"""The stand-in's edges (issue #12, finding 5): a lying client, names and headers AWS refuses, temp folders.

Real ``python -m local_endpoint serve`` processes; requests are raw sockets or ``http.client`` where a client
library would refuse or repair the input (an empty path label, a short body), and botocore with
``parameter_validation=False`` elsewhere, so what is tested is the server's answer, not the client's check.
References: botocore's service model botocore/data/sagemaker-runtime/2017-05-13/service-2.json, shape
``InvokeEndpointInput`` (EndpointName max 63, pattern ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*``; CustomAttributes max
1024, pattern ``\\p{ASCII}*``, sensitive; InferenceId min 1, max 64, pattern ``\\A\\S[\\p{Print}]*\\z``), and
AWS's common errors (https://docs.aws.amazon.com/mgn/latest/APIReference/CommonErrors.html):
RequestTimeoutException, 408, "Problems with the request at the HTTP level. Reading the Request timed out."
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from scones.stack.clients import local_client
from tests.helpers.endpoint_process import EndpointProcess, free_port
from tests.helpers.images import solid_png
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

NAME = "edge-ep"
RED = solid_png((230, 20, 20))
BODY_TIMEOUT_S = 1.0
SAFETY_S = 20.0  # only so a hung server fails the test instead of hanging it; never asserted on
NAME_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9])*"
TIMEOUT_MESSAGE = "Problems with the request at the HTTP level. Reading the Request timed out."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointProcess]:
    root = tmp_path_factory.mktemp("hardening")
    artifact = build_tiny_artifact(root / "model")
    proc = EndpointProcess(
        env={
            "SCONES_MODEL_DIR": str(artifact),
            "SCONES_ENDPOINT_NAME": NAME,
            "SCONES_ENDPOINT_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        },
        log_path=root / "endpoint.log",
    ).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def unvalidated_client(url: str) -> Any:
    """boto3 that sends what it is given: botocore's own checks off, no retries."""
    config = Config(parameter_validation=False, retries={"mode": "standard", "max_attempts": 1})
    return local_client("sagemaker-runtime", url, config)


def exchange(port: int, parts: list[bytes], pause: float = 0.0) -> bytes:
    """Send ``parts`` (pausing between them) and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=SAFETY_S) as sock:
        for i, part in enumerate(parts):
            if i and pause:
                time.sleep(pause)
            sock.sendall(part)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pytest.fail(f"connection neither answered nor closed; got so far: {received[:300]!r}")
    return received


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def request_head(path: str, length: int, *extra: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: image/png",
        f"Content-Length: {length}",
    ]
    return ("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode()


def post(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=SAFETY_S)
    try:
        conn.request("POST", path, body=RED, headers={"Content-Type": "image/png", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        conn.close()


# -- body-read timeout --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", [f"/endpoints/{NAME}/invocations", "/invocations"], ids=["runtime", "container"]
)
def test_body_shorter_than_content_length__408_and_connection_closed(
    server: EndpointProcess, path: str
) -> None:
    """Content-Length promises 1000 bytes, 10 arrive, the client waits: the server answers and closes."""
    status, headers, body = parse(exchange(server.port, [request_head(path, 1000) + RED[:10]]))
    assert status == 408
    assert headers["x-amzn-errortype"].split(":")[0] == "RequestTimeoutException"
    assert headers["connection"] == "close"
    assert json.loads(body)["message"] == TIMEOUT_MESSAGE


def test_slow_but_complete_body__served(server: EndpointProcess) -> None:
    """An honest client that sends its body in pieces, within the timeout, gets its answer (a guard that the
    deadline does not cut legitimate uploads short)."""
    pieces = [RED[i : i + len(RED) // 3 + 1] for i in range(0, len(RED), len(RED) // 3 + 1)]
    head = request_head(f"/endpoints/{NAME}/invocations", len(RED), "Connection: close")
    status, _headers, body = parse(exchange(server.port, [head, *pieces], pause=BODY_TIMEOUT_S / 8))
    assert status == 200, body
    assert json.loads(body)[0] > 0.95


# -- names ------------------------------------------------------------------------------------------
def test_empty_endpoint_name__validation_error(server: EndpointProcess) -> None:
    status, headers, body = post(server.port, "/endpoints//invocations")
    assert status == 400
    assert headers["x-amzn-errortype"].split(":")[0] == "ValidationError"
    assert body["message"] == (
        "1 validation error detected: Value '' at 'endpointName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_invalid_endpoint_names__each_constraint_reported_as_aws_words_it(server: EndpointProcess) -> None:
    client = unvalidated_client(server.url)
    cases = {
        "a" * 64: [
            f"Value '{'a' * 64}' at 'endpointName' failed to satisfy constraint: "
            "Member must have length less than or equal to 63"
        ],
        "bad_name": [
            "Value 'bad_name' at 'endpointName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        ],
        "_" * 64: [
            f"Value '{'_' * 64}' at 'endpointName' failed to satisfy constraint: "
            "Member must have length less than or equal to 63",
            f"Value '{'_' * 64}' at 'endpointName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {NAME_PATTERN}",
        ],
    }
    for name, violations in cases.items():
        with pytest.raises(client.exceptions.ValidationError) as caught:
            client.invoke_endpoint(EndpointName=name, Body=RED, ContentType="image/png")
        count = f"{len(violations)} validation {'error' if len(violations) == 1 else 'errors'} detected: "
        assert caught.value.response["Error"]["Message"] == count + "; ".join(violations)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- CustomAttributes and InferenceId ---------------------------------------------------------------
CUSTOM_TOO_LONG = (
    "1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: "
    "Member must have length less than or equal to 1024"
)


def test_custom_attributes_over_1024__validation_error_value_not_echoed(server: EndpointProcess) -> None:
    client = unvalidated_client(server.url)
    ok = client.invoke_endpoint(
        EndpointName=NAME, Body=RED, ContentType="image/png", CustomAttributes="c" * 1024
    )
    assert ok["CustomAttributes"] == "c" * 1024
    with pytest.raises(client.exceptions.ValidationError) as caught:
        client.invoke_endpoint(
            EndpointName=NAME, Body=RED, ContentType="image/png", CustomAttributes="c" * 1025
        )
    assert caught.value.response["Error"]["Message"] == CUSTOM_TOO_LONG
    # The container face carries the same header: same answer.
    status, _, body = post(server.port, "/invocations", {"X-Amzn-SageMaker-Custom-Attributes": "c" * 1025})
    assert (status, body["message"]) == (400, CUSTOM_TOO_LONG)


def test_custom_attributes_not_ascii__pattern_violation(server: EndpointProcess) -> None:
    head = request_head(f"/endpoints/{NAME}/invocations", len(RED), "Connection: close").replace(
        b"\r\n\r\n", b"\r\nX-Amzn-SageMaker-Custom-Attributes: caf\xe9\r\n\r\n"
    )
    status, _, body = parse(exchange(server.port, [head + RED]))
    assert status == 400
    assert json.loads(body)["message"] == (
        "1 validation error detected: Value at 'customAttributes' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: \\p{ASCII}*"
    )


def test_inference_id_limits__validation_error(server: EndpointProcess) -> None:
    client = unvalidated_client(server.url)
    assert client.invoke_endpoint(EndpointName=NAME, Body=RED, ContentType="image/png", InferenceId="i" * 64)
    with pytest.raises(client.exceptions.ValidationError) as caught:
        client.invoke_endpoint(EndpointName=NAME, Body=RED, ContentType="image/png", InferenceId="i" * 65)
    too_long = (
        f"1 validation error detected: Value '{'i' * 65}' at 'inferenceId' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )
    assert caught.value.response["Error"]["Message"] == too_long
    status, _, body = post(server.port, "/invocations", {"X-Amzn-SageMaker-Inference-Id": "i" * 65})
    assert (status, body["message"]) == (400, too_long)
    status, _, body = post(
        server.port, f"/endpoints/{NAME}/invocations", {"X-Amzn-SageMaker-Inference-Id": ""}
    )
    assert status == 400
    assert body["message"] == (
        "2 validation errors detected: "
        "Value '' at 'inferenceId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'inferenceId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: \\A\\S[\\p{Print}]*\\z"
    )


# -- the unpacked model is deleted on exit ------------------------------------------------------------
@pytest.fixture
def s3_model(tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    url = f"http://127.0.0.1:{port}"
    s3 = local_client("s3", url)
    s3.create_bucket(Bucket="models")
    tar = pack_model_tar(build_tiny_artifact(tmp_path / "art"), tmp_path / "model.tar.gz")
    s3.upload_file(str(tar), "models", "m/model.tar.gz")
    yield url, "s3://models/m/model.tar.gz"
    moto.stop()


def model_copies(tmpdir: Path) -> list[Path]:
    return sorted(tmpdir.rglob("model.onnx"))


@pytest.mark.parametrize("how", ["sigterm", "sigint", "parent-gone"])
def test_model_from_s3__unpacked_copy_deleted_on_exit(
    tmp_path: Path, s3_model: tuple[str, str], how: str
) -> None:
    s3_url, model_url = s3_model
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    server = EndpointProcess(
        env={
            "SCONES_MODEL_DATA_URL": model_url,
            "AWS_ENDPOINT_URL": s3_url,
            "TMPDIR": str(tmpdir),
            "SCONES_PARENT_PID": str(parent.pid),
        },
        log_path=tmp_path / "log",
    ).start()
    try:
        assert len(model_copies(tmpdir)) == 1  # unpacked under TMPDIR while serving
        if how == "parent-gone":
            parent.kill()
            parent.wait()  # reaped: a zombie still answers kill(pid, 0)
        else:
            server.proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        code = server.proc.wait(timeout=SAFETY_S)
        assert how == "sigint" or code == 0, server.log()  # SIGINT: uvicorn re-raises KeyboardInterrupt
    finally:
        server.stop()
        parent.kill()
        parent.wait()
    assert model_copies(tmpdir) == [], server.log()
    assert list(tmpdir.glob("scones-endpoint-model-*")) == []  # the folder too, not just its files
