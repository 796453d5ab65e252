"""The SageMaker Python SDK v2 (`sagemaker<3`, what the original notebook uses) against the session stack:
upload the model with `S3Uploader`, `Model.deploy(data_capture_config=...)`, `Predictor.predict` a PNG with
`IdentitySerializer("image/png")`, read the capture file with `S3Downloader`, delete the endpoint.

Why a subprocess in `.venv-sdk`: the SDK pulls pandas, numpy 2, protobuf, pydantic ... that the project does
not need (constraints/sdk.txt pins them). The flow itself is tests/clients/notebook_flow.py; it refuses every
non-loopback host name and reports any it was asked for, so "nothing calls home" is checked, not assumed.
Real components: the real SDK, a real LocalStack with our SageMaker extension; nothing is mocked.

AWS reference: a data capture record holds `captureData.endpointInput` / `endpointOutput` with
`observedContentType`, `mode`, `data`, `encoding` and `eventMetadata.eventId` ("View Captured Data",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from scones import stack
from scones.config import PROJECT_ROOT
from tests.helpers import sagemaker_endpoints as sm_helpers
from tests.helpers.lambda_functions import unique_name
from tests.helpers.localstack import LocalStackHandle
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

pytestmark = pytest.mark.integration

SDK_PYTHON = PROJECT_ROOT / ".venv-sdk" / "bin" / "python"
FLOW = Path(__file__).with_name("notebook_flow.py")
# The image the notebook deploys (the built-in image classification algorithm); the stack serves any image
# with its stand-in, so the URI only has to be well formed.
IMAGE_URI = "811284229777.dkr.ecr.us-east-1.amazonaws.com/image-classification:1"
# The SDK's own opt-out (sagemaker.config.config_schema TELEMETRY_OPT_OUT_PATH): without it calls decorated
# with `_telemetry_emitter` (Estimator.fit, JumpStart models, local mode, Feature Store ...) send a GET to an
# AWS-hosted telemetry bucket. The notebook's calls are not decorated in 2.257.7 (checked: no foreign host
# is asked for without the opt-out either); the opt-out keeps it so when a new pin decorates them.
SDK_CONFIG = "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"


def sdk_env(endpoint_url: str, tmp: Path) -> dict[str, str]:
    """`scones up`'s exports, the SDK's config files pointed at one that opts out of telemetry, and nothing
    of the user's: no ~/.aws files, no instance metadata, a HOME of the test's own."""
    config = tmp / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "SAGEMAKER_"))}
    for line in stack.shell_exports(endpoint_url):
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    env.update(
        HOME=str(tmp),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
        SAGEMAKER_ADMIN_CONFIG_OVERRIDE=str(config),
        SAGEMAKER_USER_CONFIG_OVERRIDE=str(config),
    )
    return env


def run_flow(localstack: LocalStackHandle, tmp: Path) -> dict[str, Any]:
    if not SDK_PYTHON.exists():
        pytest.skip(f"the SageMaker SDK venv is not built ({SDK_PYTHON}); `make test-clients` builds it")
    png = tmp / "image.png"
    png.write_bytes(sm_helpers.png_bytes())
    args = {
        "endpoint_url": localstack.endpoint_url,
        "bucket": unique_name("sdk-bucket"),
        "name": unique_name("sdk-endpoint"),
        "model_tar": str(pack_model_tar(build_tiny_artifact(tmp / "artifact"), tmp / "model.tar.gz")),
        "png": str(png),
        "image_uri": IMAGE_URI,
        "role": sm_helpers.model_role(localstack.client("sagemaker")),
    }
    start = time.perf_counter()
    result = subprocess.run(
        [str(SDK_PYTHON), str(FLOW), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=sdk_env(localstack.endpoint_url, tmp),
        cwd=tmp,
    )
    assert result.returncode == 0, f"the SDK flow failed:\n{result.stderr[-4000:]}"
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    out["timings"]["process"] = round(time.perf_counter() - start, 3)
    out["args"] = args
    out["png_bytes"] = png.read_bytes()
    print("sdk flow timings (s):", out["timings"])
    return out


@pytest.fixture(scope="module")
def flow(localstack: LocalStackHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the notebook's steps, shared by the assertions below (a run costs a Python start-up and
    the SDK's import, ~seconds)."""
    return run_flow(localstack, tmp_path_factory.mktemp("sdk"))


def test_sdk_v2_is_what_runs(flow: dict[str, Any]) -> None:
    assert flow["sdk_version"].startswith("2.")


def test_nothing_but_loopback_is_contacted(flow: dict[str, Any]) -> None:
    """No telemetry, no STS at its regional AWS endpoint, no config from S3: only the stack."""
    assert flow["foreign_hosts"] == []


def test_upload_and_deploy__serve_the_uploaded_model(flow: dict[str, Any]) -> None:
    assert flow["model_data"] == f"s3://{flow['args']['bucket']}/model/model.tar.gz"
    probabilities = flow["prediction"]
    assert len(probabilities) == 2 and abs(sum(probabilities) - 1) < 1e-3


def test_deploy_with_wait_false__is_not_held_by_the_sdks_30_second_poll(flow: dict[str, Any]) -> None:
    """`wait=False` then `Session.wait_for_endpoint(name, poll=1)`: InService is seen within seconds of the
    stand-in's start, where `deploy(wait=True)` sleeps 30 s before its second poll. (The deploy call itself
    is the SDK's own CPU work, several seconds on a loaded 2-core machine: not asserted.)"""
    waited = flow["timings"]["deploy"] - flow["timings"]["deploy_call"]
    assert waited < 15


def test_capture_file__records_the_png_and_the_prediction(flow: dict[str, Any]) -> None:
    name = flow["args"]["name"]
    assert all(f"/datacapture/{name}/AllTraffic/" in key for key in flow["capture_keys"])
    record = flow["capture_records"][0]
    request, response = record["captureData"]["endpointInput"], record["captureData"]["endpointOutput"]
    assert request["observedContentType"] == "image/png" and request["encoding"] == "BASE64"
    assert base64.b64decode(request["data"]) == flow["png_bytes"]
    assert response["observedContentType"] == "application/json"
    assert "eventId" in record["eventMetadata"]


def test_delete_endpoint__removes_it(flow: dict[str, Any], localstack: LocalStackHandle) -> None:
    sm = localstack.client("sagemaker")
    names = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]
    assert flow["args"]["name"] not in names


def test_account_id__asks_the_regional_aws_sts_endpoint_not_the_stack(tmp_path: Path) -> None:
    """The STS caveat (docs/sagemaker-in-localstack.md): `Session.account_id()` builds its STS client with
    `endpoint_url=sts_regional_endpoint(region)`, so AWS_ENDPOINT_URL does not apply. The flow's guard refuses
    the host before any lookup, so nothing leaves the machine; no stack is needed."""
    if not SDK_PYTHON.exists():
        pytest.skip(f"the SageMaker SDK venv is not built ({SDK_PYTHON}); `make test-clients` builds it")
    env = sdk_env("http://127.0.0.1:9", tmp_path)  # port 9 (discard): never contacted
    result = subprocess.run(
        [str(SDK_PYTHON), str(FLOW), "account-id"], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "account_id" not in out
    assert out["foreign_hosts"] and set(out["foreign_hosts"]) == {"sts.us-east-1.amazonaws.com"}
