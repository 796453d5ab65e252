"""Typed endpoint settings, read once at the edge from the environment (docs/contracts.md §2) and the CLI.

Precedence: explicit CLI argument, then environment variable, then default. Nothing below __main__ reads
``os.environ``; everything else receives an ``EndpointSettings``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# Environment variable names (the contract with LocalStack's SageMaker provider and the container).
ENV_ENDPOINT_NAME = "SCONES_ENDPOINT_NAME"  # endpoint name checked on the runtime path, used in capture keys
ENV_VARIANT = "SCONES_ENDPOINT_VARIANT"  # production variant (default AllTraffic)
ENV_MODEL_DIR = "SCONES_MODEL_DIR"  # local artifact directory
ENV_MODEL_DATA_URL = "SCONES_MODEL_DATA_URL"  # s3://bucket/key/model.tar.gz, downloaded and unpacked
ENV_CAPTURE_CONFIG = "SCONES_DATA_CAPTURE_CONFIG"  # the API's DataCaptureConfig as JSON
ENV_HOST = "SCONES_ENDPOINT_HOST"  # bind address
ENV_PORT = "SCONES_ENDPOINT_PORT"  # bind port (else SAGEMAKER_BIND_TO_PORT, else 8080)
ENV_SAGEMAKER_PORT = "SAGEMAKER_BIND_TO_PORT"  # set by SageMaker for inference pipelines
ENV_ACCOUNT_ID = "SCONES_ACCOUNT_ID"  # account id in error messages
ENV_PARENT_PID = "SCONES_PARENT_PID"  # exit when this process is gone
ENV_REGION = "AWS_DEFAULT_REGION"  # region in error messages and ARNs
ENV_REGION_FALLBACK = "AWS_REGION"  # the SDKs' name, read when AWS_DEFAULT_REGION is not set
ENV_ORT_INTRA_THREADS = "SCONES_ORT_INTRA_OP_THREADS"  # ONNX Runtime intra-op threads (default 1)
ENV_MAX_CONCURRENCY = "SCONES_MAX_CONCURRENT_INFERENCES"  # inferences running at once (default: CPU count)
ENV_CAPTURE_FLUSH_S = "SCONES_CAPTURE_FLUSH_INTERVAL_S"  # capture flush interval in seconds (default 1.0)
ENV_TEST_LOAD_DELAY_S = "SCONES_TEST_MODEL_LOAD_DELAY_S"  # test-only: delay model loading by N seconds
ENV_BODY_TIMEOUT_S = "SCONES_ENDPOINT_BODY_TIMEOUT_S"  # seconds a request body may take to arrive (default 5)
ENV_HANDOFF = "SCONES_ENDPOINT_HANDOFF"  # "stdin": a spare, told its environment later (handoff.py)

SAGEMAKER_MODEL_DIR = Path("/opt/ml/model")  # where SageMaker unpacks ModelDataUrl in a container
DEFAULT_PORT = 8080
MAX_PAYLOAD_BYTES = 6_291_456  # InvokeEndpoint BodyBlob max (6 MiB)
DEFAULT_MAX_PIXELS = 4096 * 4096  # larger decoded images are refused as decompression bombs
DEFAULT_BODY_TIMEOUT_S = (
    5.0  # a 6 MiB body over loopback takes milliseconds; a lying client gets 408 after this
)


class SettingsError(ValueError):
    """A setting is missing or malformed; raised at start-up, before the server binds."""


@dataclass(frozen=True)
class EndpointSettings:
    endpoint_name: str | None = None
    variant: str = "AllTraffic"
    model_dir: Path | None = None
    model_data_url: str | None = None
    data_capture_config: Mapping[str, Any] | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    account_id: str = "000000000000"
    region: str = "us-east-1"
    parent_pid: int | None = None
    intra_op_threads: int = 1
    max_concurrency: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    capture_flush_interval_s: float = 1.0
    test_model_load_delay_s: float = 0.0
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    model_workdir: Path | None = None  # where s3:// model data is unpacked; set by serve(), deleted on exit

    def with_overrides(self, **overrides: Any) -> EndpointSettings:
        """Apply CLI arguments that were given (None means 'not given')."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _int(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value <= 0:
        raise SettingsError(f"{name} must be a positive number of seconds, got {value:g}")
    return value


def parse_capture_config(raw: str | None) -> Mapping[str, Any] | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{ENV_CAPTURE_CONFIG} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise SettingsError(f"{ENV_CAPTURE_CONFIG} must be a JSON object (the API's DataCaptureConfig)")
    return value


def settings_from_env(env: Mapping[str, str]) -> EndpointSettings:
    """Build settings from an environment mapping (os.environ at the edge, a dict in tests)."""
    port = _int(env, ENV_PORT, None) or _int(env, ENV_SAGEMAKER_PORT, DEFAULT_PORT) or DEFAULT_PORT
    model_dir_raw = env.get(ENV_MODEL_DIR, "").strip()
    defaults = EndpointSettings()
    return EndpointSettings(
        endpoint_name=env.get(ENV_ENDPOINT_NAME, "").strip() or None,
        variant=env.get(ENV_VARIANT, "").strip() or "AllTraffic",
        model_dir=Path(model_dir_raw) if model_dir_raw else None,
        model_data_url=env.get(ENV_MODEL_DATA_URL, "").strip() or None,
        data_capture_config=parse_capture_config(env.get(ENV_CAPTURE_CONFIG)),
        host=env.get(ENV_HOST, "").strip() or "127.0.0.1",
        port=port,
        account_id=env.get(ENV_ACCOUNT_ID, "").strip() or "000000000000",
        region=env.get(ENV_REGION, "").strip() or env.get(ENV_REGION_FALLBACK, "").strip() or "us-east-1",
        parent_pid=_int(env, ENV_PARENT_PID, None),
        intra_op_threads=_int(env, ENV_ORT_INTRA_THREADS, 1) or 1,
        max_concurrency=_int(env, ENV_MAX_CONCURRENCY, defaults.max_concurrency) or 1,
        capture_flush_interval_s=_float(env, ENV_CAPTURE_FLUSH_S, 1.0),
        test_model_load_delay_s=_float(env, ENV_TEST_LOAD_DELAY_S, 0.0),
        body_timeout_s=_positive(env, ENV_BODY_TIMEOUT_S, DEFAULT_BODY_TIMEOUT_S),
    )


def resolve_model_source(settings: EndpointSettings) -> EndpointSettings:
    """No model given at all: fall back to SageMaker's /opt/ml/model (the container contract)."""
    if settings.model_dir is None and settings.model_data_url is None:
        if SAGEMAKER_MODEL_DIR.is_dir():
            return replace(settings, model_dir=SAGEMAKER_MODEL_DIR)
        raise SettingsError(
            f"no model: pass --model DIR, or set {ENV_MODEL_DIR} or {ENV_MODEL_DATA_URL}, "
            f"or mount the artifact at {SAGEMAKER_MODEL_DIR}"
        )
    return settings
