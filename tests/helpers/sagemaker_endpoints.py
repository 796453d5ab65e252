"""SageMaker endpoints for tests against a real LocalStack: the tiny model uploaded to its S3, endpoint
configs, deployed endpoints and the stand-in processes that serve them.

One owner for these so that every SageMaker test deploys, finds and waits for stand-ins the same way.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Any

import psutil

from tests.helpers.images import solid_png
from tests.helpers.localstack import LocalStackHandle
from tests.helpers.roles import allow, ensure_role, iam_client_like, role_arn
from tests.helpers.shared_data import SHARED_DATA
from tests.helpers.tiny_model import build_tiny_artifact, pack_model_tar

ACCOUNT = "000000000000"
ROLE_NAME = "sagemaker-tests"
ROLE = role_arn(ROLE_NAME, ACCOUNT)
MODEL_BUCKET = "sm-tests-models"
# The model role's buckets: the tests' model and capture buckets, and the SDK flow's own (sdk-bucket-*,
# model and capture in one). ListBucket lets a missing model answer 404, which the tests of a stand-in
# failing at start-up rely on; AWS's own message asks for it too.
_BUCKETS = ("arn:aws:s3:::sm-tests-*", "arn:aws:s3:::sdk-bucket-*")
ROLE_STATEMENTS = (
    allow("s3:GetObject", [f"{b}/*" for b in _BUCKETS]),
    allow("s3:ListBucket", list(_BUCKETS)),
    allow("s3:PutObject", ["arn:aws:s3:::sm-tests-capture/*", "arn:aws:s3:::sdk-bucket-*/*"]),
)
_ROLE_MADE: set[str] = set()
FAST_WAIT = {"Delay": 0.25, "MaxAttempts": 240}  # the stock waiter would sleep 30 s before its second poll
NO_RETRY = {"retries": {"mode": "standard", "max_attempts": 1}}


def png_bytes() -> bytes:
    """A real CIFAR-100 test PNG when ../shared is present, else a generated 32x32 PNG (same codec path)."""
    folder = SHARED_DATA / "cifar100-vehicles" / "test"
    if folder.is_dir():
        return sorted(folder.glob("bicycle_*.png"))[0].read_bytes()
    return solid_png((200, 30, 30), mode="RGB")


# A stand-in's log: <TMPDIR>/scones-endpoints/<account>-<region>-<endpoint>-<port>.log (processes.launch).
_LOG_NAME = re.compile(r"^\d{12}-[a-z]+(?:-[a-z]+)+-\d+-(?P<endpoint>.+)-(?P<port>\d+)\.log$")


def standin_identity(proc: psutil.Process) -> tuple[str, int] | None:
    """(endpoint, port) of a stand-in process, None for any other process (a waiting spare included).

    A stand-in started for its endpoint carries both in its environment. A spare handed its endpoint later
    (scones_localstack/sagemaker/spares.py) got them on standard input: /proc shows the environment a
    process was started with, so for it they are read from the log it writes to (its standard output),
    which LocalStack renames for the endpoint at the hand-off."""
    env = proc.environ()
    if "SCONES_ENDPOINT_NAME" in env:
        return env["SCONES_ENDPOINT_NAME"], int(env["SCONES_ENDPOINT_PORT"])
    if "SCONES_ENDPOINT_HANDOFF" not in env:
        return None
    with contextlib.suppress(OSError):
        match = _LOG_NAME.match(Path(f"/proc/{proc.pid}/fd/1").readlink().name)
        if match:
            return match["endpoint"], int(match["port"])
    return None


def standins(ls_pid: int) -> dict[str, psutil.Process]:
    """LocalStack's stand-in children by endpoint name."""
    found: dict[str, psutil.Process] = {}
    for child in psutil.Process(ls_pid).children(recursive=False):
        try:
            identity = standin_identity(child)
            if identity is not None and child.status() != psutil.STATUS_ZOMBIE:
                found[identity[0]] = child
        except psutil.Error:
            continue
    return found


def spares(ls_pid: int) -> list[psutil.Process]:
    """LocalStack's waiting spare stand-ins (started, not yet handed an endpoint)."""
    found = []
    for child in psutil.Process(ls_pid).children(recursive=False):
        try:
            waiting = "SCONES_ENDPOINT_HANDOFF" in child.environ() and standin_identity(child) is None
            if waiting and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.Error:
            continue
    return found


def standin_port(proc: psutil.Process) -> int:
    identity = standin_identity(proc)
    assert identity is not None, f"{proc} is not a stand-in"
    return identity[1]


def gone(proc: psutil.Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def model_role(client: Any) -> str:
    """ROLE, created (once per stack) on the stack `client` talks to: SageMaker refuses a model whose role
    does not exist or does not trust sagemaker.amazonaws.com, and the stand-in reads the model as it."""
    endpoint = str(client.meta.endpoint_url)
    if endpoint not in _ROLE_MADE:
        ensure_role(iam_client_like(client), ROLE_NAME, "sagemaker", ROLE_STATEMENTS)
        _ROLE_MADE.add(endpoint)
    return ROLE


def upload_model(s3: Any, key: str = "tiny/model.tar.gz", tmp: Path | None = None) -> str:
    """The tiny model in MODEL_BUCKET (and ROLE on the stack, for the model made from it next)."""
    assert tmp is not None
    model_role(s3)
    tar = pack_model_tar(build_tiny_artifact(tmp / "artifact"), tmp / "model.tar.gz")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=MODEL_BUCKET)
    s3.upload_file(str(tar), MODEL_BUCKET, key)
    return f"s3://{MODEL_BUCKET}/{key}"


def create_config(
    sm: Any, name: str, model: str, variant: str = "AllTraffic", capture: str | None = None
) -> None:
    kwargs: dict[str, Any] = {}
    if capture:
        kwargs["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": capture,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
        }
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 1,
            }
        ],
        **kwargs,
    )


def deploy_model(
    sm: Any, s3: Any, tmp: Path, model: str, endpoints: list[str], key: str = "tiny/model.tar.gz"
) -> None:
    """The tiny model as `model`, an endpoint config of the same name, `endpoints` on it: all InService."""
    url = upload_model(s3, key=key, tmp=tmp)
    sm.create_model(
        ModelName=model, ExecutionRoleArn=model_role(sm), PrimaryContainer={"Image": "x", "ModelDataUrl": url}
    )
    create_config(sm, model, model)
    for name in endpoints:
        sm.create_endpoint(EndpointName=name, EndpointConfigName=model)
    for name in endpoints:
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAIT)


def deploy_tiny(handle: LocalStackHandle, tmp: Path, names: list[str]) -> dict[str, psutil.Process]:
    """The tiny model on endpoints `names` of `handle`'s stack; their stand-in processes, by endpoint name."""
    deploy_model(handle.client("sagemaker"), handle.client("s3"), tmp, "tiny", names)
    procs = standins(handle.state.pid)
    assert sorted(procs) == sorted(names)
    return procs
