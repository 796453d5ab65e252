"""Settings of the process Lambda runtime executor, read from LocalStack's environment once.

The executor runs inside LocalStack's interpreter; these variables are set on LocalStack's process
(``scones up`` and the test fixture do it). Their names live in ``scones_localstack/config.py``; nothing
below this module reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path

from scones_localstack.config import (
    LAMBDA_PROCESS_EXTRA_ENV,
    LAMBDA_PROCESS_PYTHON,
    LAMBDA_PROCESS_PYTHON_MAPPING,
    LAMBDA_PROCESS_SANDBOX,
    LAMBDA_PROCESS_SANDBOX_DIR,
    LAMBDA_PROCESS_SANDBOX_STATE_FILE,
    LAMBDA_PROCESS_TIMEOUT_GRACE_S,
    LAMBDA_PROCESS_ZYGOTE,
)
from scones_localstack.lambda_executor.environment import CREDENTIAL_VARIABLES

# LAMBDA_PROCESS_SANDBOX's values (config.py says what each does).
SANDBOX_CHOICES = ("auto", "namespaces", "off")


class ProcessExecutorConfigError(ValueError):
    """A LAMBDA_PROCESS_* variable holds a value the executor cannot use."""


@dataclasses.dataclass(frozen=True)
class ProcessExecutorSettings:
    python_mapping: Mapping[str, str]
    default_python: str | None
    sandbox_root: Path | None
    extra_env: Mapping[str, str]
    timeout_grace_s: float
    sandbox: str = "auto"
    sandbox_state_file: Path | None = None
    zygote: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ProcessExecutorSettings:
        grace_raw = environ.get(LAMBDA_PROCESS_TIMEOUT_GRACE_S, "").strip() or "0.5"
        try:
            grace = float(grace_raw)
        except ValueError as exc:
            raise ProcessExecutorConfigError(
                f"{LAMBDA_PROCESS_TIMEOUT_GRACE_S} must be a number of seconds, got {grace_raw!r}"
            ) from exc
        if grace < 0:
            raise ProcessExecutorConfigError(f"{LAMBDA_PROCESS_TIMEOUT_GRACE_S} must be >= 0, got {grace}")
        sandbox = environ.get(LAMBDA_PROCESS_SANDBOX_DIR, "").strip()
        mode = environ.get(LAMBDA_PROCESS_SANDBOX, "").strip().lower() or "auto"
        if mode not in SANDBOX_CHOICES:
            raise ProcessExecutorConfigError(
                f"{LAMBDA_PROCESS_SANDBOX} must be one of {', '.join(SANDBOX_CHOICES)}, got {mode!r}"
            )
        state_file = environ.get(LAMBDA_PROCESS_SANDBOX_STATE_FILE, "").strip()
        return cls(
            python_mapping=_json_str_map(environ, LAMBDA_PROCESS_PYTHON_MAPPING),
            default_python=environ.get(LAMBDA_PROCESS_PYTHON, "").strip() or None,
            sandbox_root=Path(sandbox) if sandbox else None,
            extra_env=_extra_env(environ),
            timeout_grace_s=grace,
            sandbox=mode,
            sandbox_state_file=Path(state_file) if state_file else None,
            zygote=environ.get(LAMBDA_PROCESS_ZYGOTE, "1").strip().lower() not in ("0", "false", "no", "off"),
        )


def _extra_env(environ: Mapping[str, str]) -> dict[str, str]:
    """LAMBDA_PROCESS_EXTRA_ENV, minus what would replace a function's identity: a function's credentials
    are its execution role's session (AWS reserves these keys: "Defined runtime environment variables",
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), and with IAM enforced an
    all-powerful key here would let every function pass what AWS refuses. Refused, not dropped silently."""
    extra = _json_str_map(environ, LAMBDA_PROCESS_EXTRA_ENV)
    reserved = sorted(set(extra) & set(CREDENTIAL_VARIABLES))
    if reserved:
        raise ProcessExecutorConfigError(
            f"{LAMBDA_PROCESS_EXTRA_ENV} must not set {', '.join(reserved)}: a function runs with its "
            "execution role's credentials, as on AWS"
        )
    return extra


def _json_str_map(environ: Mapping[str, str], name: str) -> dict[str, str]:
    raw = environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProcessExecutorConfigError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ProcessExecutorConfigError(f"{name} must be a JSON object, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


@functools.cache
def get_settings() -> ProcessExecutorSettings:
    """The settings of this LocalStack process (read once: LocalStack's env does not change)."""
    return ProcessExecutorSettings.from_env(os.environ)
