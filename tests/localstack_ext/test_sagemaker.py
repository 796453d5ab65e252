"""SageMaker inside LocalStack, end to end: real LocalStack with our extension, real stand-ins.

Nothing is mocked: the control plane is moto's backend inside LocalStack, every endpoint is a real stand-in
process serving the tiny ONNX model from LocalStack S3, capture lands in LocalStack S3, and clients are plain
boto3 over loopback. Only real AWS is out of reach; where AWS behaviour is unverified the test says so.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.helpers.localstack import LocalStackHandle
from tests.helpers.sagemaker_endpoints import (
    ACCOUNT,
    FAST_WAIT,
    MODEL_BUCKET,
    NO_RETRY,
    ROLE,
    create_config,
    gone,
    png_bytes,
    standin_port,
    standins,
    upload_model,
)

pytestmark = pytest.mark.integration

CAPTURE_BUCKET = "sm-tests-capture"


def deploy(sm: Any, name: str, config: str) -> str:
    """CreateEndpoint, then the status seen right after it, then wait for InService."""
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
    first = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAIT)
    return str(first)


def shape_errors(value: Any, shape: Any, path: str) -> list[str]:
    """Where a parsed response departs from botocore's output shape (unknown keys, wrong types, missing)."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected structure {shape.name}"]
        errors = []
        for key, item in value.items():
            if key not in shape.members:
                errors.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                errors += shape_errors(item, shape.members[key], f"{path}.{key}")
        for key in shape.required_members:
            # AWS omits KmsKeyId from the summary when capture uses no customer key (SDK examples show it so).
            if key not in value and (shape.name, key) != ("DataCaptureConfigSummary", "KmsKeyId"):
                errors.append(f"{path}.{key}: required member missing")
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected list"]
        return [e for i, item in enumerate(value) for e in shape_errors(item, shape.member, f"{path}[{i}]")]
    expected = {
        "string": str,
        "integer": int,
        "long": int,
        "boolean": bool,
        "timestamp": datetime,
        "float": (int, float),
        "double": (int, float),
        "blob": (bytes, bytearray),
    }[kind]
    if not isinstance(value, expected) or (kind in ("integer", "long") and isinstance(value, bool)):
        return [f"{path}: {type(value).__name__}, expected {kind}"]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} not in enum {shape.name}"]
    return []


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clients(localstack: LocalStackHandle) -> Iterator[dict[str, Any]]:
    made = {
        "s3": localstack.client("s3"),
        "sm": localstack.client("sagemaker"),
        "rt": localstack.client("sagemaker-runtime", **NO_RETRY),
    }
    yield made
    # The stack is shared with other test folders: leave no stand-in of ours running.
    for endpoint in made["sm"].list_endpoints(NameContains="sm-")["Endpoints"]:
        made["sm"].delete_endpoint(EndpointName=endpoint["EndpointName"])


@pytest.fixture(scope="module")
def model(clients: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    url = upload_model(clients["s3"], tmp=tmp_path_factory.mktemp("model"))
    clients["sm"].create_model(
        ModelName="tiny",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "local-endpoint", "ModelDataUrl": url},
    )
    clients["s3"].create_bucket(Bucket=CAPTURE_BUCKET)
    create_config(clients["sm"], "tiny-plain", "tiny")
    return "tiny"


@pytest.fixture(scope="module")
def main_endpoint(clients: dict[str, Any], model: str) -> Iterator[tuple[str, str]]:
    create_config(clients["sm"], "tiny-capture", model, capture=f"s3://{CAPTURE_BUCKET}/datacapture")
    first = deploy(clients["sm"], "sm-main", "tiny-capture")
    yield "sm-main", first


# -- control plane + runtime on one endpoint ---------------------------------------------------------
def test_create_endpoint__creating_then_in_service(main_endpoint: tuple[str, str], clients: dict[str, Any]):
    name, first_status = main_endpoint
    assert first_status == "Creating"
    described = clients["sm"].describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "InService"
    assert "FailureReason" not in described


def test_describe_endpoint__matches_botocore_output_shape(main_endpoint, clients):
    sm = clients["sm"]
    described = sm.describe_endpoint(EndpointName=main_endpoint[0])
    described.pop("ResponseMetadata")
    shape = sm.meta.service_model.operation_model("DescribeEndpoint").output_shape
    assert shape_errors(described, shape, "DescribeEndpoint") == []
    assert described["DataCaptureConfig"] == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{CAPTURE_BUCKET}/datacapture",
    }
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"


def test_invoke_endpoint__png_classified_and_captured(main_endpoint, clients):
    name = main_endpoint[0]
    started = datetime.now(UTC)
    response = clients["rt"].invoke_endpoint(
        EndpointName=name,
        ContentType="image/png",
        Accept="application/json",
        Body=png_bytes(),
        InferenceId="t-1",
    )
    probabilities = json.loads(response["Body"].read())
    assert len(probabilities) == 2 and abs(sum(probabilities) - 1) < 1e-4
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert response["ContentType"] == "application/json"

    prefix = f"datacapture/{name}/AllTraffic/{started:%Y/%m/%d/%H}/"
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10  # the stand-in flushes capture buffers every second
    while not records and time.monotonic() < deadline:
        for obj in clients["s3"].list_objects_v2(Bucket=CAPTURE_BUCKET, Prefix=prefix).get("Contents", []):
            body = clients["s3"].get_object(Bucket=CAPTURE_BUCKET, Key=obj["Key"])["Body"].read().decode()
            records += [json.loads(line) for line in body.splitlines() if line.strip()]
        time.sleep(0.2)
    mine = [r for r in records if r["eventMetadata"].get("inferenceId") == "t-1"]
    assert len(mine) == 1, f"no capture record under s3://{CAPTURE_BUCKET}/{prefix}"
    assert json.loads(mine[0]["captureData"]["endpointOutput"]["data"]) == pytest.approx(probabilities)
    assert mine[0]["captureData"]["endpointInput"]["encoding"] == "BASE64"


def test_invoke_endpoint__byte_for_byte_same_as_direct(main_endpoint, clients, localstack):
    """Same request via the gateway and straight to the stand-in: same status, body and error shape."""
    import boto3

    name = main_endpoint[0]
    port = standin_port(standins(localstack.state.pid)[name])
    direct = boto3.client(
        "sagemaker-runtime",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    body = png_bytes()
    via_gateway = clients["rt"].invoke_endpoint(EndpointName=name, ContentType="image/png", Body=body)
    straight = direct.invoke_endpoint(EndpointName=name, ContentType="image/png", Body=body)
    assert via_gateway["Body"].read() == straight["Body"].read()
    errors = []
    for client in (clients["rt"], direct):
        with pytest.raises(ClientError) as caught:
            client.invoke_endpoint(EndpointName=name, ContentType="image/png", Body=b"\x89PNG not really")
        errors.append(caught.value.response)
    gw, st = errors
    assert gw["Error"]["Code"] == st["Error"]["Code"] == "ModelError"
    assert gw["Error"]["Message"] == st["Error"]["Message"]
    assert gw["ResponseMetadata"]["HTTPStatusCode"] == st["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert gw.get("OriginalStatusCode") == st.get("OriginalStatusCode")


def test_invoke_endpoint__unknown_endpoint_validation_error(clients):
    with pytest.raises(ClientError) as caught:
        clients["rt"].invoke_endpoint(EndpointName="no-such-endpoint", ContentType="image/png", Body=b"x")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert (
        caught.value.response["Error"]["Message"]
        == f"Endpoint no-such-endpoint of account {ACCOUNT} not found."
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_endpoint__duplicate_name_rejected(main_endpoint, clients):
    with pytest.raises(ClientError) as caught:
        clients["sm"].create_endpoint(EndpointName=main_endpoint[0], EndpointConfigName="tiny-plain")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == (
        f'Cannot create already existing endpoint "arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/sm-main".'
    )


def test_create_endpoint_config__instance_types_from_botocore_enum(model, clients):
    sm = clients["sm"]
    for instance_type in ("ml.g5.xlarge", "ml.c6i.large", "ml.inf2.xlarge"):  # moto's own list rejects these
        sm.create_endpoint_config(
            EndpointConfigName=f"it-{instance_type.replace('.', '-')}",
            ProductionVariants=[{"VariantName": "v", "ModelName": model, "InstanceType": instance_type}],
        )
    with pytest.raises(ClientError) as caught:
        sm.create_endpoint_config(
            EndpointConfigName="it-bogus",
            ProductionVariants=[{"VariantName": "v", "ModelName": model, "InstanceType": "ml.bogus.huge"}],
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "ml.bogus.huge" in caught.value.response["Error"]["Message"]


def test_unimplemented_operation__moto_501_not_a_crash(clients):
    with pytest.raises(ClientError) as caught:
        clients["sm"].describe_inference_component(InferenceComponentName="nope")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 501)


# -- lifecycle: update, restart, delete, failure, two at once -----------------------------------------
def test_update_endpoint__blue_green_without_failed_invoke(model, clients, localstack):
    sm, rt = clients["sm"], clients["rt"]
    create_config(sm, "bg-blue", model, variant="Blue")
    create_config(sm, "bg-green", model, variant="Green")
    deploy(sm, "sm-bg", "bg-blue")
    old = standins(localstack.state.pid)["sm-bg"]
    body, seen, failures = png_bytes(), [], []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                seen.append(
                    rt.invoke_endpoint(EndpointName="sm-bg", ContentType="image/png", Body=body)[
                        "InvokedProductionVariant"
                    ]
                )
            except Exception as exc:
                failures.append(repr(exc))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        time.sleep(0.3)
        sm.update_endpoint(EndpointName="sm-bg", EndpointConfigName="bg-green")
        assert sm.describe_endpoint(EndpointName="sm-bg")["EndpointStatus"] == "Updating"
        with pytest.raises(ClientError) as caught:
            sm.update_endpoint(EndpointName="sm-bg", EndpointConfigName="bg-blue")
        assert caught.value.response["Error"]["Message"].startswith("Cannot update in-progress endpoint")
        sm.get_waiter("endpoint_in_service").wait(EndpointName="sm-bg", WaiterConfig=FAST_WAIT)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert "Blue" in seen and seen[-1] == "Green"
    described = sm.describe_endpoint(EndpointName="sm-bg")
    assert described["EndpointConfigName"] == "bg-green"
    assert described["ProductionVariants"][0]["VariantName"] == "Green"
    assert gone(old, 5)
    assert standins(localstack.state.pid)["sm-bg"].pid != old.pid


def test_update_endpoint__unknown_config_rejected_and_endpoint_unchanged(main_endpoint, clients):
    with pytest.raises(ClientError) as caught:
        clients["sm"].update_endpoint(EndpointName=main_endpoint[0], EndpointConfigName="nope")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find endpoint configuration" in caught.value.response["Error"]["Message"]
    assert clients["sm"].describe_endpoint(EndpointName=main_endpoint[0])["EndpointStatus"] == "InService"


def test_standin_killed__restarted_and_shown(model, clients, localstack):
    sm, rt = clients["sm"], clients["rt"]
    deploy(sm, "sm-crash", "tiny-plain")
    victim = standins(localstack.state.pid)["sm-crash"]
    os.killpg(victim.pid, signal.SIGKILL)
    # The very next invoke waits for the supervisor's restart instead of failing.
    response = rt.invoke_endpoint(EndpointName="sm-crash", ContentType="image/png", Body=png_bytes())
    assert len(json.loads(response["Body"].read())) == 2
    described = sm.describe_endpoint(EndpointName="sm-crash")
    assert described["EndpointStatus"] == "InService"
    assert "exited with code -9" in described["FailureReason"]
    assert "restarted automatically (1 restart(s) so far)" in described["FailureReason"]
    assert standins(localstack.state.pid)["sm-crash"].pid != victim.pid


def test_delete_endpoint__process_gone_and_invoke_validation_error(model, clients, localstack):
    sm, rt = clients["sm"], clients["rt"]
    deploy(sm, "sm-del", "tiny-plain")
    proc = standins(localstack.state.pid)["sm-del"]
    sm.delete_endpoint(EndpointName="sm-del")
    assert gone(proc, 5)
    sm.get_waiter("endpoint_deleted").wait(EndpointName="sm-del", WaiterConfig=FAST_WAIT)
    with pytest.raises(ClientError) as caught:
        rt.invoke_endpoint(EndpointName="sm-del", ContentType="image/png", Body=png_bytes())
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == f"Endpoint sm-del of account {ACCOUNT} not found."
    with pytest.raises(ClientError) as caught:
        sm.describe_endpoint(EndpointName="sm-del")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_standin_fails_at_startup__failed_with_reason(model, clients):
    sm = clients["sm"]
    sm.create_model(
        ModelName="missing-artifact",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": "local-endpoint",
            "ModelDataUrl": f"s3://{MODEL_BUCKET}/nope/model.tar.gz",
        },
    )
    create_config(sm, "missing-artifact", "missing-artifact")
    sm.create_endpoint(EndpointName="sm-broken", EndpointConfigName="missing-artifact")
    with pytest.raises(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName="sm-broken", WaiterConfig=FAST_WAIT)
    described = sm.describe_endpoint(EndpointName="sm-broken")
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"].startswith("stand-in ")
    assert "nope/model.tar.gz" in described["FailureReason"]  # the reason names what went wrong
    with pytest.raises(ClientError) as caught:
        sm.update_endpoint(EndpointName="sm-broken", EndpointConfigName="tiny-plain")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    sm.delete_endpoint(EndpointName="sm-broken")


def test_two_endpoints__served_by_separate_processes(main_endpoint, model, clients, localstack):
    deploy(clients["sm"], "sm-second", "tiny-plain")
    procs = standins(localstack.state.pid)
    assert procs["sm-second"].pid != procs[main_endpoint[0]].pid
    for name in (main_endpoint[0], "sm-second"):
        response = clients["rt"].invoke_endpoint(EndpointName=name, ContentType="image/png", Body=png_bytes())
        assert len(json.loads(response["Body"].read())) == 2
    clients["sm"].delete_endpoint(EndpointName="sm-second")
