"""Real endpoint processes (`python -m local_endpoint serve`) on free 127.0.0.1 ports, and real boto3 clients,
for the tests of local_endpoint (tests/local_endpoint/): the process, its capture configuration, and what
the model should answer computed independently of local_endpoint's code.

The server runs in the endpoint's own venv (.venv-endpoint) when it exists, as LocalStack's provider runs it;
otherwise in this interpreter. It is stopped with SIGTERM, its exit code and log checked by the tests that
care.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import onnxruntime as ort
from botocore.config import Config
from PIL import Image

from scones.stack import free_port
from scones.stack.clients import local_client
from tests.helpers.shared_data import SHARED_DATA, require_shared

REPO = Path(__file__).resolve().parents[2]
CAPTURE_SAMPLES = SHARED_DATA / "sagemaker-capture"
ENDPOINT_PYTHON = REPO / ".venv-endpoint" / "bin" / "python"
ENDPOINT_NAME = "bike-moto-test"
JSON_CAPTURE = {"JsonContentTypes": ["application/json"]}


@dataclass
class EndpointProcess:
    """One ``python -m local_endpoint serve`` subprocess."""

    env: Mapping[str, str]
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    log_path: Path | None = None

    def start(self, *, wait_ready: bool = True, timeout: float = 30.0) -> EndpointProcess:
        python = str(ENDPOINT_PYTHON) if ENDPOINT_PYTHON.exists() else sys.executable
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "SCONES_ENDPOINT_PORT": str(self.port),
            **self.env,
        }
        assert self.log_path is not None
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [python, "-m", "local_endpoint", "serve", *self.args],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.wait_listening(timeout)
        if wait_ready:
            self.wait_ping(200, timeout)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"endpoint exited {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"endpoint not listening after {timeout}s:\n{self.log()}")

    def wait_ping(self, status: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if httpx.get(self.url + "/ping").status_code == status:
                return
            time.sleep(0.05)
        raise TimeoutError(f"/ping never returned {status}:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)

    def client(self) -> object:
        return runtime_client(self.url)


def runtime_client(url: str) -> object:
    return local_client("sagemaker-runtime", url, Config(retries={"mode": "standard", "max_attempts": 1}))


def capture_config(destination: str, percentage: float = 100, **extra: object) -> str:
    config = {
        "EnableCapture": True,
        "InitialSamplingPercentage": percentage,
        "DestinationS3Uri": destination,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": JSON_CAPTURE,
        **extra,
    }
    return json.dumps(config)


# ---- the reference computation (independent of local_endpoint's code) and the real images ----


def reference_probabilities(image_bytes: bytes, artifact_dir: Path) -> list[float]:
    """What the artifact should answer, computed straight from its metadata with ONNX Runtime."""
    meta = json.loads((artifact_dir / "metadata.json").read_text())
    spec = meta["input"]
    image = Image.open(io.BytesIO(image_bytes)).convert("RGB")
    if image.size != (spec["width"], spec["height"]):
        image = image.resize((spec["width"], spec["height"]), Image.Resampling.BILINEAR)
    x = (np.asarray(image, np.float32) / spec["scale"] - np.array(spec["mean"], np.float32)) / np.array(
        spec["std"], np.float32
    )
    x = x.transpose(2, 0, 1)[None].astype(np.float32)
    session = ort.InferenceSession(str(artifact_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input": x})[0][0].astype(np.float64) / meta["temperature"]
    e = np.exp(logits - logits.max())
    return (e / e.sum()).tolist()


def cifar_pngs() -> list[Path]:
    """The real CIFAR-100 test PNGs in ../shared (the calling test is marked ``shared``)."""
    return sorted(require_shared("cifar100-vehicles", "test").glob("*.png"))
