"""Endpoint process lifecycle: background model load, clean SIGTERM stop, S3 model + capture, failures.

S3 here is moto's ThreadedMotoServer, a real HTTP server on a free port that boto3 reaches through
``AWS_ENDPOINT_URL`` exactly as it reaches LocalStack. It stands in for S3 only because these tests are about
the endpoint process; the LocalStack path is exercised by the SageMaker provider's and the workflow's tests.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from moto.server import ThreadedMotoServer

from scones.stack.clients import local_client
from tests.helpers.endpoint_process import (
    ENDPOINT_PYTHON,
    REPO,
    EndpointProcess,
    capture_config,
    free_port,
    reference_probabilities,
    runtime_client,
)
from tests.helpers.images import solid_jpeg, solid_png
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

KEY_RE = re.compile(
    r"^capture/ep-s3/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$"
)
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def call(client: Any, name: str, body: bytes, content_type: str = "image/png") -> list[float]:
    resp = client.invoke_endpoint(EndpointName=name, Body=body, ContentType=content_type)
    return json.loads(resp["Body"].read())


def read_records(root: Path) -> list[dict[str, Any]]:
    lines = [line for path in sorted(root.rglob("*.jsonl")) for line in path.read_text().splitlines()]
    return [json.loads(line) for line in lines]


def test_model_loads_in_background__ping_503_and_model_not_ready_then_200(
    tmp_path: Path, artifact: Path
) -> None:
    server = EndpointProcess(
        env={"SCONES_MODEL_DIR": str(artifact), "SCONES_TEST_MODEL_LOAD_DELAY_S": "2"},
        log_path=tmp_path / "log",
    ).start(wait_ready=False)
    try:
        assert httpx.get(server.url + "/ping").status_code == 503
        client = runtime_client(server.url)
        with pytest.raises(client.exceptions.ModelNotReadyException) as exc:
            call(client, "any-name", solid_png((200, 0, 0)))
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        server.wait_ping(200, timeout=20)
        assert (
            call(client, "any-name", solid_png((200, 0, 0)))[0] > 0.95
        )  # no endpoint name set: any valid name
    finally:
        assert server.stop() == 0, server.log()


def test_sigterm__flushes_every_sampled_record_and_exits_0(tmp_path: Path, artifact: Path) -> None:
    """A long flush interval means only the shutdown flush can write: nothing may be lost on a clean stop."""
    capture_dir = tmp_path / "capture"
    server = EndpointProcess(
        env={
            "SCONES_MODEL_DIR": str(artifact),
            "SCONES_ENDPOINT_NAME": "ep-term",
            "SCONES_ENDPOINT_VARIANT": "Blue",
            "SCONES_DATA_CAPTURE_CONFIG": capture_config(str(capture_dir)),
            "SCONES_CAPTURE_FLUSH_INTERVAL_S": "600",
        },
        log_path=tmp_path / "log",
    ).start()
    client = runtime_client(server.url)
    bodies = [solid_png((i * 20, 0, 255 - i * 20)) for i in range(8)] + [solid_jpeg((255, 255, 0))]
    outputs = []
    for i, body in enumerate(bodies):
        ctype = "image/jpeg" if body.startswith(b"\xff\xd8") else "image/png"
        resp = client.invoke_endpoint(
            EndpointName="ep-term", Body=body, ContentType=ctype, InferenceId=f"id-{i}"
        )
        assert resp["InvokedProductionVariant"] == "Blue"
        outputs.append(resp["Body"].read())
    assert not list(capture_dir.rglob("*.jsonl"))  # nothing flushed yet
    assert server.stop() == 0, server.log()
    assert "capture closed: sampled=9 written=9 dropped=0" in server.log()

    records = read_records(capture_dir)
    assert len(records) == len(bodies)
    for path in capture_dir.rglob("*.jsonl"):
        assert path.relative_to(capture_dir).parts[:2] == ("ep-term", "Blue")
    by_id = {r["eventMetadata"]["inferenceId"]: r for r in records}
    for i, body in enumerate(bodies):
        record = by_id[f"id-{i}"]
        assert list(record) == ["captureData", "eventMetadata", "eventVersion"]
        assert record["eventVersion"] == "0"
        inp, out = record["captureData"]["endpointInput"], record["captureData"]["endpointOutput"]
        assert list(inp) == ["observedContentType", "mode", "data", "encoding"]
        assert (inp["mode"], inp["encoding"], out["mode"], out["encoding"]) == (
            "INPUT",
            "BASE64",
            "OUTPUT",
            "JSON",
        )
        assert base64.b64decode(inp["data"]) == body
        assert out["data"].encode() == outputs[i]
        assert out["observedContentType"] == "application/json"
        assert list(record["eventMetadata"]) == ["eventId", "inferenceTime", "inferenceId"]
        assert TIME_RE.match(record["eventMetadata"]["inferenceTime"])
    assert len({r["eventMetadata"]["eventId"] for r in records}) == len(records)


@pytest.fixture
def moto_s3() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(url: str) -> Any:
    return local_client("s3", url)


def test_model_from_s3_tarball_and_capture_to_s3(tmp_path: Path, moto_s3: str) -> None:
    s3 = s3_client(moto_s3)
    s3.create_bucket(Bucket="models")
    s3.create_bucket(Bucket="captures")
    artifact = build_tiny_artifact(tmp_path / "art", temperature=2.0)
    s3.upload_file(
        str(pack_model_tar(artifact, tmp_path / "model.tar.gz")), "models", "job-1/output/model.tar.gz"
    )
    server = EndpointProcess(
        env={
            "SCONES_MODEL_DATA_URL": "s3://models/job-1/output/model.tar.gz",
            "SCONES_ENDPOINT_NAME": "ep-s3",
            "SCONES_DATA_CAPTURE_CONFIG": capture_config("s3://captures/capture"),
            "AWS_ENDPOINT_URL": moto_s3,
        },
        log_path=tmp_path / "log",
    ).start()
    body = solid_png((240, 30, 30))
    got = call(runtime_client(server.url), "ep-s3", body)
    assert got == pytest.approx(reference_probabilities(body, artifact), abs=1e-6)  # temperature 2 applied
    assert server.stop() == 0, server.log()

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="captures").get("Contents", [])]
    assert len(keys) == 1 and KEY_RE.match(keys[0]), keys
    lines = s3.get_object(Bucket="captures", Key=keys[0])["Body"].read().decode().splitlines()
    record = json.loads(lines[0])
    assert base64.b64decode(record["captureData"]["endpointInput"]["data"]) == body


def test_capture_sink_down__invocations_succeed_and_drops_are_counted(tmp_path: Path, artifact: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    server = EndpointProcess(
        env={
            "SCONES_MODEL_DIR": str(artifact),
            "SCONES_DATA_CAPTURE_CONFIG": capture_config("s3://nowhere/capture"),
            "SCONES_CAPTURE_FLUSH_INTERVAL_S": "0.1",
            "AWS_ENDPOINT_URL": dead,
            "AWS_MAX_ATTEMPTS": "1",
        },
        log_path=tmp_path / "log",
    ).start()
    client = runtime_client(server.url)
    for _ in range(5):
        assert call(client, "ep", solid_png((250, 10, 10)))[0] > 0.95
    assert server.stop() == 0, server.log()
    assert "capture closed: sampled=5 written=0 dropped=5" in server.log()
    assert "capture sink failed" in server.log()


def test_inference_failure_is_internal_failure_500_with_json(tmp_path: Path) -> None:
    """An artifact whose metadata lists 3 classes for a 2-logit model fails at inference time."""
    art = build_tiny_artifact(tmp_path / "art")
    meta = json.loads((art / "metadata.json").read_text())
    meta["classes"].append("tricycle")
    (art / "metadata.json").write_text(json.dumps(meta))
    server = EndpointProcess(env={"SCONES_MODEL_DIR": str(art)}, log_path=tmp_path / "log").start()
    try:
        client = runtime_client(server.url)
        with pytest.raises(client.exceptions.InternalFailure) as exc:
            call(client, "ep", solid_png((1, 2, 3)))
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert "3" in exc.value.response["Error"]["Message"]
        assert httpx.get(server.url + "/ping").status_code == 200  # still up
    finally:
        assert server.stop() == 0, server.log()


def test_model_load_failure__ping_500_and_internal_failure(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    server = EndpointProcess(env={"SCONES_MODEL_DIR": str(tmp_path / "empty")}, log_path=tmp_path / "log")
    server.start(wait_ready=False)
    try:
        server.wait_ping(500, timeout=20)
        assert "metadata.json" in httpx.get(server.url + "/ping").json()["message"]
        client = runtime_client(server.url)
        with pytest.raises(client.exceptions.InternalFailure, match="failed to load"):
            call(client, "ep", solid_png((1, 2, 3)))
    finally:
        assert server.stop() == 0, server.log()


def test_parent_gone__endpoint_exits(tmp_path: Path, artifact: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    server = EndpointProcess(
        env={"SCONES_MODEL_DIR": str(artifact), "SCONES_PARENT_PID": str(parent.pid)},
        log_path=tmp_path / "log",
    ).start()
    parent.kill()
    parent.wait()
    try:
        assert server.proc.wait(timeout=15) == 0, server.log()
        assert "parent process" in server.log()
    finally:
        server.stop()


def test_serve_without_any_model_exits_2_with_a_clear_message() -> None:
    python = str(ENDPOINT_PYTHON) if ENDPOINT_PYTHON.exists() else sys.executable
    result = subprocess.run(
        [python, "-m", "local_endpoint", "serve", "--port", str(free_port())],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no model" in result.stderr and "SCONES_MODEL_DIR" in result.stderr
