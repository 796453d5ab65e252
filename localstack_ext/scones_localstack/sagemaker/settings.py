"""Settings of the SageMaker extension, read from LocalStack's environment once, when the provider loads.

Why a typed object: the endpoint lifecycle and the runtime both need the same few knobs, and reading
``os.environ`` in one place keeps defaults and parsing errors together. The variables' names live in
``scones_localstack/config.py``.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from scones_localstack.config import (
    ENDPOINT_BODY_TIMEOUT,
    ENDPOINT_CMD,
    ENDPOINT_INVOKE_TIMEOUT,
    ENDPOINT_MAX_RESTARTS,
    ENDPOINT_PROJECT_ROOT,
    ENDPOINT_RESTART_WAIT,
    ENDPOINT_SPARES,
    ENDPOINT_STARTUP_TIMEOUT,
    PROJECT_ROOT,
)


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
    repo_root: Path = PROJECT_ROOT
    spares: int = 1  # stand-ins kept started for the next endpoint (spares.py)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        root = Path(env[ENDPOINT_PROJECT_ROOT]) if env.get(ENDPOINT_PROJECT_ROOT) else PROJECT_ROOT
        raw_cmd = env.get(ENDPOINT_CMD, "").strip()
        if raw_cmd:
            cmd = tuple(shlex.split(raw_cmd))
        else:
            cmd = (str(root / ".venv-endpoint" / "bin" / "python"), "-m", "local_endpoint", "serve")
        max_restarts_raw = env.get(ENDPOINT_MAX_RESTARTS, "").strip() or "3"
        if not max_restarts_raw.isdigit():
            raise SettingsError(f"{ENDPOINT_MAX_RESTARTS}={max_restarts_raw!r} is not a non-negative integer")
        spares_raw = env.get(ENDPOINT_SPARES, "").strip() or "1"
        if spares_raw not in ("0", "1"):
            raise SettingsError(f"{ENDPOINT_SPARES}={spares_raw!r} must be 0 or 1")
        return cls(
            endpoint_cmd=cmd,
            startup_timeout=_float(env, ENDPOINT_STARTUP_TIMEOUT, 120.0),
            invoke_timeout=_float(env, ENDPOINT_INVOKE_TIMEOUT, 60.0),
            max_restarts=int(max_restarts_raw),
            restart_wait=_float(env, ENDPOINT_RESTART_WAIT, 10.0),
            body_timeout=_float(env, ENDPOINT_BODY_TIMEOUT, 5.0),
            repo_root=root,
            spares=int(spares_raw),
        )
