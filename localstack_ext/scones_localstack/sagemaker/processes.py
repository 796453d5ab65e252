"""Stand-in endpoint processes: launch, health-check, stop, and the registry the runtime reads.

Why its own module: the control plane decides *when* a process starts or stops, the runtime only needs
"which port serves this endpoint now", and both must agree on one registry guarded by one lock.
Each stand-in runs in its own session (process group) so a stop reaches its children too, and with its own
TMPDIR (where it unpacks ModelDataUrl), which is deleted once the process is gone: the stand-in deletes its
unpacked model itself on any exit it sees, but a SIGKILLed process cannot, so the folder's creator does.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scones_localstack.config import STANDIN

from .settings import Settings

if TYPE_CHECKING:
    from .spares import Spare

Key = tuple[str, str, str]  # (account id, region, endpoint name)

# Environment variables of LocalStack's own process that must not leak into a stand-in.
_DROPPED_ENV_PREFIXES = ("AWS_",)
_DROPPED_ENV = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}


class StandinStartupFailed(Exception):
    """The stand-in exited or never answered /ping in time; the message is the endpoint's FailureReason."""


@dataclass(frozen=True)
class StandinSpec:
    """What one stand-in serves: the deployment as the control plane resolved it."""

    account_id: str
    region: str
    endpoint_name: str
    variant_name: str
    model_data_url: str
    data_capture_config: dict[str, Any] | None
    container_env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 120.0
    role_arn: str = ""  # the model's ExecutionRoleArn, assumed for the stand-in while IAM is enforced


@dataclass
class Standin:
    spec: StandinSpec
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    tmpdir: Path  # the process's TMPDIR, created for it and deleted after it ends

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def inherited_env(base: Mapping[str, str]) -> dict[str, str]:
    """What every stand-in keeps of LocalStack's environment: all but the AWS and Python settings."""
    return {
        k: v for k, v in base.items() if k not in _DROPPED_ENV and not k.startswith(_DROPPED_ENV_PREFIXES)
    }


def log_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "scones-endpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


def standin_env(
    spec: StandinSpec,
    port: int,
    gateway_url: str,
    settings: Settings,
    base: Mapping[str, str],
    credentials: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The stand-in's environment: LocalStack's minus AWS/Python settings, the container's, then ours.

    ``credentials`` (the model role's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, see
    model_role) replace the account-root key, last, so no container variable can override them."""
    env = inherited_env(base)
    env.update(spec.container_env)
    env.update(
        {
            "PYTHONPATH": str(settings.repo_root),
            STANDIN.endpoint_name: spec.endpoint_name,
            STANDIN.variant: spec.variant_name,
            STANDIN.model_data_url: spec.model_data_url,
            STANDIN.capture_config: json.dumps(spec.data_capture_config) if spec.data_capture_config else "",
            STANDIN.host: "127.0.0.1",
            STANDIN.port: str(port),
            STANDIN.account_id: spec.account_id,
            STANDIN.parent_pid: str(os.getpid()),
            "AWS_ENDPOINT_URL": gateway_url,
            "AWS_ACCESS_KEY_ID": spec.account_id,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_REGION": spec.region,
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    if credentials:
        env.update(credentials)
    return env


def launch(
    spec: StandinSpec,
    gateway_url: str,
    settings: Settings,
    credentials: Mapping[str, str] | None = None,
    spare: Spare | None = None,
) -> Standin:
    """Start the stand-in of ``spec``: hand it to ``spare`` when one is given and alive, else a new process.

    Either way the process gets the same environment, TMPDIR and log, named for its endpoint."""
    port = free_port()
    log_path = log_dir() / f"{spec.account_id}-{spec.region}-{spec.endpoint_name}-{port}.log"
    env = standin_env(spec, port, gateway_url, settings, os.environ, credentials)
    tmpdir = Path(tempfile.mkdtemp(prefix=f"scones-endpoint-{spec.endpoint_name}-"))
    env["TMPDIR"] = str(tmpdir)
    if spare is not None:
        if spare.hand_off(env):
            shutil.rmtree(spare.tmpdir, ignore_errors=True)  # the spare's own, unused: it now has the above
            spare.log_path.replace(log_path)  # it keeps writing to the same file, named for the endpoint
            return Standin(spec=spec, port=port, proc=spare.proc, log_path=log_path, tmpdir=tmpdir)
        spare.discard()
    proc = spawn(settings, env, log_path, subprocess.DEVNULL)
    return Standin(spec=spec, port=port, proc=proc, log_path=log_path, tmpdir=tmpdir)


def spawn(settings: Settings, env: dict[str, str], log_path: Path, stdin: int) -> subprocess.Popen[bytes]:
    """The stand-in command in its own session, output to ``log_path``; on failure its TMPDIR (``env``'s,
    created for it) is deleted before the error goes on."""
    try:
        with open(log_path, "wb") as log:
            return subprocess.Popen(
                list(settings.endpoint_cmd),
                env=env,
                cwd=str(settings.repo_root),
                stdin=stdin,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except OSError:
        shutil.rmtree(env["TMPDIR"], ignore_errors=True)
        raise


def ping(port: int, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET /ping (SageMaker's health check, 2 s timeout): (status, body), status 0 when unreachable."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/ping")
        response = conn.getresponse()
        return response.status, response.read(2048)
    except OSError:
        return 0, b""
    finally:
        conn.close()


def ping_failure(status: int, body: bytes) -> str | None:
    """A /ping answer that can never turn healthy (anything but 200, 503 "loading" or no answer yet)."""
    if status in (0, 200, 503):
        return None
    try:
        message = str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        message = body.decode("utf-8", "replace").strip()
    return f"stand-in answered GET /ping with {status}" + (f": {message}" if message else "")


def log_tail(path: Path, limit: int = 300) -> str:
    """The last non-empty line of a stand-in's log, to make a FailureReason actionable."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 4096))
            lines = [ln.strip() for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""


def wait_healthy(standin: Standin, timeout: float, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while True:
        code = standin.proc.poll()
        if code is not None:
            tail = log_tail(standin.log_path)
            detail = f": {tail}" if tail else ""
            raise StandinStartupFailed(f"stand-in process exited with code {code} during startup{detail}")
        status, body = ping(standin.port, timeout=min(2.0, max(0.1, deadline - time.monotonic())))
        if status == 200:
            return
        failure = ping_failure(status, body)
        if failure:
            stop(standin)
            raise StandinStartupFailed(failure[:1000])
        if time.monotonic() >= deadline:
            stop(standin)
            raise StandinStartupFailed(f"stand-in did not answer GET /ping with 200 within {timeout:g} s")
        time.sleep(interval)


def stop(standin: Standin, grace: float = 5.0) -> int | None:
    """SIGTERM the stand-in's process group (it flushes capture buffers), SIGKILL after ``grace`` seconds;
    then delete its TMPDIR (the unpacked model). Also the way to release a stand-in that died by itself."""
    proc = standin.proc
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    kill_group(proc)
    shutil.rmtree(standin.tmpdir, ignore_errors=True)
    return proc.returncode


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL what is left of a stand-in's session: children that outlived the leader get its end."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class EndpointProcesses:
    """The processes of one endpoint: the serving one, one being started, and how often it was restarted."""

    active: Standin | None = None
    pending: Standin | None = None
    restarts: int = 0
    deleted: bool = False
    busy: bool = False  # a create/update/restart thread owns this endpoint


class Registry:
    """All stand-ins of this LocalStack, keyed by (account, region, endpoint); short critical sections."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._entries: dict[Key, EndpointProcesses] = {}
        self.changed = threading.Condition(self.lock)

    def entry(self, key: Key) -> EndpointProcesses | None:
        with self.lock:
            return self._entries.get(key)

    def ensure(self, key: Key) -> EndpointProcesses:
        with self.lock:
            return self._entries.setdefault(key, EndpointProcesses())

    def remove(self, key: Key) -> EndpointProcesses | None:
        with self.lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                entry.deleted = True
            self.changed.notify_all()
            return entry

    def items(self) -> list[tuple[Key, EndpointProcesses]]:
        with self.lock:
            return list(self._entries.items())

    def active_port(self, key: Key) -> int | None:
        with self.lock:
            entry = self._entries.get(key)
            return entry.active.port if entry and entry.active else None

    def wait_for_new_port(self, key: Key, old_port: int, timeout: float) -> int | None:
        """Block until the endpoint is served by another live process (after a swap or restart)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                entry = self._entries.get(key)
                if entry is None:
                    return None
                if entry.active and entry.active.port != old_port and entry.active.alive:
                    return entry.active.port
                if entry.active and entry.active.alive and not entry.busy:
                    return entry.active.port  # the same live process: one more try is all we can do
                if not entry.busy and (entry.active is None or not entry.active.alive):
                    return None  # nothing is (re)starting it: waiting cannot help
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(min(remaining, 0.1))

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()


REGISTRY = Registry()
