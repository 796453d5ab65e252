"""Which isolation function environments get, decided once per LocalStack process, and said out loud.

``namespaces``: each environment runs in its own user + mount + pid namespace (``shim_sandbox.py``):
read-only host, hidden homes, private ``/tmp``, code at ``/var/task``. ``fallback``: a host process
with a per-environment ``TMPDIR`` and ``HOME`` only (macOS, Docker's default seccomp profile, kernels
without unprivileged user namespaces, or ``LAMBDA_PROCESS_SANDBOX=off``). The choice is logged once
and written to ``LAMBDA_PROCESS_SANDBOX_STATE_FILE`` for ``scones status``: never silent.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import subprocess
import sys
from pathlib import Path

from scones_localstack.config import LAMBDA_PROCESS_SANDBOX
from scones_localstack.lambda_executor.settings import (
    ProcessExecutorConfigError,
    ProcessExecutorSettings,
    get_settings,
)

LOG = logging.getLogger(__name__)
LAUNCHER = Path(__file__).resolve().parent / "shim_sandbox.py"
_PROBE_TIMEOUT_S = 15.0


@dataclasses.dataclass(frozen=True)
class SandboxMode:
    isolated: bool
    detail: str

    @property
    def name(self) -> str:
        return "namespaces" if self.isolated else "fallback"

    def describe(self) -> str:
        return f"{self.name} ({self.detail})"


def probe_launcher(python: str = sys.executable) -> str | None:
    """Runs the launcher's ``--probe`` (a real sandbox around an empty task); None if it worked,
    else why not. A fresh process: LocalStack itself has threads and could not unshare."""
    if not sys.platform.startswith("linux"):
        return f"user namespaces are Linux only (this is {sys.platform})"
    try:
        proc = subprocess.run(
            [python, "-I", str(LAUNCHER), "--probe"],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_S,
            env={
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "HOME": str(Path("~").expanduser()),
            },
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the sandbox probe did not run: {exc}"
    if proc.returncode == 0:
        return None
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else f"the sandbox probe exited with status {proc.returncode}"


def decide(settings: ProcessExecutorSettings) -> SandboxMode:
    wanted = settings.sandbox
    if wanted == "off":
        return SandboxMode(False, f"{LAMBDA_PROCESS_SANDBOX}=off")
    failure = probe_launcher()
    if failure is None:
        return SandboxMode(True, "user, mount and pid namespace per environment")
    if wanted == "namespaces":
        raise ProcessExecutorConfigError(f"{LAMBDA_PROCESS_SANDBOX}=namespaces, but {failure}")
    return SandboxMode(False, f"namespaces unavailable: {failure}")


@functools.cache
def get_mode() -> SandboxMode:
    """Decided on first use (the executor's environment check at Lambda's start), logged once."""
    settings = get_settings()
    mode = decide(settings)
    if mode.isolated:
        LOG.info("Lambda function sandbox: %s", mode.describe())
    else:
        LOG.warning(
            "Lambda function sandbox: %s; functions run as host processes with a private TMPDIR only "
            "(they can read and write what this user can)",
            mode.describe(),
        )
    if settings.sandbox_state_file is not None:
        record_mode(settings.sandbox_state_file, mode)
    return mode


def record_mode(path: Path, mode: SandboxMode) -> None:
    """For ``scones status``: {"mode": "namespaces" | "fallback", "detail": "..."}."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"mode": mode.name, "detail": mode.detail}))
    except OSError as exc:
        LOG.warning("Cannot record the Lambda sandbox mode in %s: %s", path, exc)


def launcher_argv(python: str, spec: dict[str, object]) -> list[str]:
    return [python, "-u", str(LAUNCHER), json.dumps(spec)]
