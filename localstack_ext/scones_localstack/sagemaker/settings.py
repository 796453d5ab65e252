"""Settings of the SageMaker extension, read from LocalStack's environment once, when the provider loads.

Why a typed object: the endpoint lifecycle and the runtime both need the same few knobs, and reading
``os.environ`` in one place keeps defaults and parsing errors together.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

# The command that starts one stand-in endpoint process (shell words). Default: the repo's endpoint venv.
ENV_ENDPOINT_CMD = "SCONES_ENDPOINT_CMD"
# Seconds a stand-in gets to answer GET /ping with 200 (a variant's
# ContainerStartupHealthCheckTimeoutInSeconds wins).
ENV_STARTUP_TIMEOUT = "SCONES_ENDPOINT_STARTUP_TIMEOUT"
# Seconds an invocation may take before the runtime answers ModelError (SageMaker: 60 s).
ENV_INVOKE_TIMEOUT = "SCONES_ENDPOINT_INVOKE_TIMEOUT"
# How many times the supervisor restarts a stand-in that died while in service before marking it Failed.
ENV_MAX_RESTARTS = "SCONES_ENDPOINT_MAX_RESTARTS"
# Seconds an invoke waits for a restarting stand-in before answering ServiceUnavailable.
ENV_RESTART_WAIT = "SCONES_ENDPOINT_RESTART_WAIT"
# Seconds a request body may take to arrive (408 RequestTimeoutException after). The stand-ins inherit
# LocalStack's environment, so the same variable sets their own body timeout (local_endpoint/settings.py).
ENV_BODY_TIMEOUT = "SCONES_ENDPOINT_BODY_TIMEOUT_S"

# The project root (PYTHONPATH and working directory of the stand-in); `scones up` sets it.
ENV_PROJECT_ROOT = "SCONES_PROJECT_ROOT"

# <repo>/localstack_ext/scones_localstack/sagemaker/settings.py -> <repo>
REPO_ROOT = Path(__file__).resolve().parents[3]


class SettingsError(ValueError):
    """An extension setting in the environment cannot be parsed."""


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a number") from exc
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value


@dataclass(frozen=True)
class Settings:
    endpoint_cmd: tuple[str, ...]
    startup_timeout: float = 120.0
    invoke_timeout: float = 60.0
    max_restarts: int = 3
    restart_wait: float = 10.0
    body_timeout: float = 5.0
    repo_root: Path = REPO_ROOT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        root = Path(env[ENV_PROJECT_ROOT]) if env.get(ENV_PROJECT_ROOT) else REPO_ROOT
        raw_cmd = env.get(ENV_ENDPOINT_CMD, "").strip()
        if raw_cmd:
            cmd = tuple(shlex.split(raw_cmd))
        else:
            cmd = (str(root / ".venv-endpoint" / "bin" / "python"), "-m", "local_endpoint", "serve")
        max_restarts_raw = env.get(ENV_MAX_RESTARTS, "").strip() or "3"
        if not max_restarts_raw.isdigit():
            raise SettingsError(f"{ENV_MAX_RESTARTS}={max_restarts_raw!r} is not a non-negative integer")
        return cls(
            endpoint_cmd=cmd,
            startup_timeout=_float(env, ENV_STARTUP_TIMEOUT, 120.0),
            invoke_timeout=_float(env, ENV_INVOKE_TIMEOUT, 60.0),
            max_restarts=int(max_restarts_raw),
            restart_wait=_float(env, ENV_RESTART_WAIT, 10.0),
            body_timeout=_float(env, ENV_BODY_TIMEOUT, 5.0),
            repo_root=root,
        )
