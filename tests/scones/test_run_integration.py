"""The workflow end to end on the real local stack: LocalStack (host mode) with the process Lambda executor,
Step Functions, S3, and the SageMaker provider launching the stand-in endpoint (tiny real ONNX model).

Nothing is mocked. Every outcome is read back from Step Functions and S3 as a user would.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from scones.workflow import WorkflowSettings, deploy, run_workflow
from scones.workflow.clients import Clients
from scones.workflow.plan import CAPTURE_PREFIX, build_plan
from scones.workflow.settings import Target
from tests.helpers.images import solid_png
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

pytestmark = pytest.mark.integration

# Colours the tiny model scores (see tests/helpers/tiny_model.py): red → bicycle 0.9997,
# (180,100,100) → bicycle 0.964 (passes 0.93, not 0.999), blue → motorcycle ~1.0, grey → ~0.51.
IMAGES = {"red": (255, 0, 0), "pinkish": (180, 100, 100), "blue": (0, 0, 255), "grey": (128, 128, 128)}


def noise_png(side: int) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def settings(localstack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowSettings]:
    root = tmp_path_factory.mktemp("workflow")
    tar = pack_model_tar(build_tiny_artifact(root / "artifact"), root / "model.tar.gz")
    s = WorkflowSettings(
        target=Target.LOCAL, endpoint_url=localstack.endpoint_url, project="itest", model=tar
    )
    deploy(s)
    s3 = Clients(s).s3
    for name, colour in IMAGES.items():
        s3.put_object(Bucket=s.bucket_name, Key=f"test/{name}.png", Body=solid_png(colour, mode="RGB"))
    s3.put_object(Bucket=s.bucket_name, Key="test.lst", Body=b"1\t0\tred.png\n2\t1\tblue.png\n")
    yield s


def _capture_records(clients: Clients, settings: WorkflowSettings) -> int:
    total = 0
    pages = clients.s3.get_paginator("list_objects_v2").paginate(
        Bucket=settings.bucket_name, Prefix=CAPTURE_PREFIX
    )
    for page in pages:
        for obj in page.get("Contents", []):
            body = clients.s3.get_object(Bucket=settings.bucket_name, Key=obj["Key"])["Body"].read()
            total += sum(1 for line in body.splitlines() if line.strip())
    return total


def _wait_capture(clients: Clients, settings: WorkflowSettings, expected: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    count = _capture_records(clients, settings)
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.25)
        count = _capture_records(clients, settings)
    return count


def test_run__confident_image_succeeds_with_inferences(settings: WorkflowSettings) -> None:
    report = run_workflow(settings, keys=["test/red.png", "test/blue.png"], timeout=60)
    red, blue = report.items
    assert (red.status, red.outcome, red.prediction, red.label) == (
        "SUCCEEDED",
        "classified",
        "bicycle",
        "bicycle",
    )
    assert (blue.outcome, blue.prediction, blue.label) == ("classified", "motorcycle", "motorcycle")
    assert red.confidence is not None and red.confidence > 0.999
    assert pytest.approx(sum(red.inferences), abs=1e-5) == 1.0
    assert report.accuracy == 1.0 and report.infrastructure_errors == 0


def test_run__threshold_0999_goes_to_review_with_s3_record(settings: WorkflowSettings) -> None:
    assert run_workflow(settings, keys=["test/pinkish.png"], timeout=60).items[0].outcome == "classified"
    strict = dataclasses.replace(settings, threshold=0.999)
    deploy(strict)
    try:
        item = run_workflow(strict, keys=["test/pinkish.png"], timeout=60).items[0]
    finally:
        deploy(settings)
    assert (item.status, item.outcome) == ("SUCCEEDED", "review")
    assert 0.93 < (item.confidence or 0) < 0.999
    clients = Clients(settings)
    output = json.loads(clients.sfn.describe_execution(executionArn=item.execution_arn)["output"])
    record = json.loads(
        clients.s3.get_object(Bucket=settings.bucket_name, Key=output["review_key"])["Body"].read()
    )
    assert output["review_key"].startswith("review/")
    assert record["s3_key"] == "test/pinkish.png" and record["error"] == "LowConfidenceError"
    assert "THRESHOLD_CONFIDENCE_NOT_MET" in record["cause"]
    assert record["inferences"] == item.inferences


def test_run__missing_object_fails_with_reason(settings: WorkflowSettings) -> None:
    item = run_workflow(settings, keys=["test/does-not-exist.png"], timeout=60).items[0]
    assert (item.status, item.outcome, item.error) == ("FAILED", "failed", "ImageNotFoundError")
    assert "test/does-not-exist.png does not exist" in (item.cause or "")


def test_run__oversize_image_hits_the_state_size_guard(settings: WorkflowSettings) -> None:
    data = noise_png(300)  # ~270 KB PNG → ~360 KB base64: above 256 KiB of state data
    assert len(data) > 200_000
    Clients(settings).s3.put_object(Bucket=settings.bucket_name, Key="test-big/noise.png", Body=data)
    item = run_workflow(settings, keys=["test-big/noise.png"], timeout=60).items[0]
    assert (item.status, item.error) == ("FAILED", "DataLimitExceededError")
    assert "'Serialize image data' returned a result with a size exceeding" in (item.cause or "")


def test_run__100_executions_100_outcomes_and_matching_capture(settings: WorkflowSettings) -> None:
    clients = Clients(settings)
    time.sleep(1.5)  # let earlier tests' buffered records flush
    before = _capture_records(clients, settings)
    keys = [f"test/{name}.png" for name in IMAGES] * 25
    report = run_workflow(settings, keys=keys, timeout=90, concurrency=8)
    assert len(report.items) == 100 and len({i.execution_arn for i in report.items}) == 100
    assert report.count("classified") == 75 and report.count("review") == 25  # grey → review at 0.93
    assert report.infrastructure_errors == 0
    classify_invocations = sum(1 for i in report.items if i.inferences)
    assert _wait_capture(clients, settings, before + classify_invocations) == before + classify_invocations


def _classify_attempts(clients: Clients, arn: str) -> int:
    events = clients.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(
        1
        for e in events
        if e["type"] == "TaskScheduled" and "-classify" in e["taskScheduledEventDetails"]["parameters"]
    )


def test_run__endpoint_stopped_retries_then_fails_with_reason(settings: WorkflowSettings) -> None:
    clients = Clients(settings)
    config = clients.sagemaker.describe_endpoint(EndpointName=settings.endpoint_name)["EndpointConfigName"]
    clients.sagemaker.delete_endpoint(EndpointName=settings.endpoint_name)
    try:
        item = run_workflow(settings, keys=["test/red.png"], timeout=60).items[0]
    finally:
        clients.sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=config)
        clients.sagemaker.get_waiter("endpoint_in_service").wait(
            EndpointName=settings.endpoint_name, WaiterConfig={"Delay": 0.25, "MaxAttempts": 120}
        )
    assert (item.status, item.error) == ("FAILED", "EndpointNotFoundError")
    assert f"Endpoint {settings.endpoint_name} of account" in (item.cause or "")
    assert _classify_attempts(clients, item.execution_arn) == 4  # first try + MaxAttempts 3


def test_run__endpoint_restarted_during_retry_window_succeeds(settings: WorkflowSettings) -> None:
    clients = Clients(settings)
    config = clients.sagemaker.describe_endpoint(EndpointName=settings.endpoint_name)["EndpointConfigName"]
    clients.sagemaker.delete_endpoint(EndpointName=settings.endpoint_name)
    arn = clients.sfn.start_execution(
        stateMachineArn=build_plan(
            settings, account=clients.sts.get_caller_identity()["Account"]
        ).state_machine_arn,
        input=json.dumps({"s3_bucket": settings.bucket_name, "s3_key": "test/red.png"}),
    )["executionArn"]
    deadline = time.monotonic() + 20
    while _classify_attempts(clients, arn) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    clients.sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=config)
    clients.sagemaker.get_waiter("endpoint_in_service").wait(
        EndpointName=settings.endpoint_name, WaiterConfig={"Delay": 0.25, "MaxAttempts": 120}
    )
    status = "RUNNING"
    while status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
        description = clients.sfn.describe_execution(executionArn=arn)
        status = description["status"]
    assert status == "SUCCEEDED"
    assert json.loads(description["output"])["outcome"] == "classified"
    assert _classify_attempts(clients, arn) >= 2
