"""Start, find and stop one LocalStack (host mode) per port, with its run state under `.scones/stack-<port>/`.

Why by pid and process tree: `down` must leave nothing behind, and LocalStack's function processes and
endpoint stand-ins run in their own sessions (so a signal to LocalStack's group does not reach them).
We snapshot the whole tree before stopping and make sure every process in it is gone afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
import requests

from scones.stack.errors import (
    LocalStackNotInstalledError,
    PortInUseError,
    StackAlreadyRunningError,
    StackStartError,
)
from scones.stack.settings import SANDBOX_STATE_FILE, StackSettings

STATE_FILE = "state.json"
LOG_FILE = "localstack.log"
HEALTH_PATH = "/_localstack/health"


@dataclass(frozen=True)
class StackState:
    """What `up` records so that `status` and `down` can find the stack again from another process."""

    pid: int
    host: str
    port: int
    endpoint_url: str
    started_at: float
    log_file: str
    services: list[str]

    @classmethod
    def load(cls, state_dir: Path) -> StackState | None:
        path = state_dir / STATE_FILE
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def save(self, state_dir: Path) -> None:
        (state_dir / STATE_FILE).write_text(json.dumps(asdict(self), indent=2))


@dataclass(frozen=True)
class StackStatus:
    settings: StackSettings
    state: StackState | None
    running: bool
    healthy: bool
    services: dict[str, str]
    children: list[psutil.Process]


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a host proxy must never capture loopback calls
    return session


def health(endpoint_url: str, timeout: float = 2.0) -> dict[str, str] | None:
    """The gateway's service map, or None when nothing healthy answers there."""
    try:
        with _session() as session:
            response = session.get(endpoint_url + HEALTH_PATH, timeout=timeout)
        if response.status_code != 200:
            return None
        services = response.json().get("services", {})
        return {str(k): str(v) for k, v in services.items()}
    except (requests.RequestException, ValueError):
        return None


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now; tests use it so that stacks can run side by side."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _our_process(state: StackState) -> psutil.Process | None:
    """The recorded pid, only if it is still the LocalStack we started (pids get reused)."""
    try:
        proc = psutil.Process(state.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        if "localstack.runtime.main" not in " ".join(proc.cmdline()):
            return None
        return proc
    except psutil.Error:
        return None


def status(settings: StackSettings) -> StackStatus:
    state = StackState.load(settings.state_dir)
    proc = _our_process(state) if state else None
    services = health(settings.endpoint_url) if proc else None
    children: list[psutil.Process] = []
    if proc:
        with contextlib.suppress(psutil.Error):
            children = proc.children(recursive=True)
    return StackStatus(settings, state, proc is not None, services is not None, services or {}, children)


def lambda_sandbox(settings: StackSettings) -> str:
    """The function sandbox LocalStack's executor chose ("namespaces" or "fallback (why)"), recorded
    when Lambda starts; docs/sandbox.md."""
    try:
        recorded = json.loads((settings.state_dir / SANDBOX_STATE_FILE).read_text())
    except (OSError, ValueError):
        return "not decided yet (Lambda not started)"
    mode = str(recorded.get("mode", "?"))
    return mode if mode == "namespaces" else f"{mode} ({recorded.get('detail', '')})"


def start(settings: StackSettings) -> StackState:
    """Start LocalStack and return once its gateway is healthy; raise a named error otherwise."""
    current = status(settings)
    if current.running and current.state:
        raise StackAlreadyRunningError(current.state.endpoint_url, current.state.pid)
    if not settings.localstack_python.exists():
        raise LocalStackNotInstalledError(settings.localstack_python)
    if not port_is_free(settings.host, settings.port):
        raise PortInUseError(settings.host, settings.port)

    state_dir = settings.state_dir
    (state_dir / "tmp").mkdir(parents=True, exist_ok=True)
    (state_dir / SANDBOX_STATE_FILE).unlink(missing_ok=True)  # the new LocalStack decides again
    (state_dir / "fs").mkdir(parents=True, exist_ok=True)
    log_path = state_dir / LOG_FILE
    began = time.time()
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [str(settings.localstack_python), "-m", "localstack.runtime.main"],
            cwd=state_dir,
            env=settings.localstack_environment(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state = StackState(
        pid=proc.pid,
        host=settings.host,
        port=settings.port,
        endpoint_url=settings.endpoint_url,
        started_at=began,
        log_file=str(log_path),
        services=list(settings.services),
    )
    state.save(state_dir)
    deadline = began + settings.startup_timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise StackStartError(f"LocalStack exited with code {proc.returncode} during startup", log_path)
        if health(settings.endpoint_url, timeout=1.0) is not None:
            return state
        time.sleep(0.05)
    stop(settings)
    raise StackStartError(f"LocalStack was not healthy after {settings.startup_timeout:.0f} s", log_path)


def _terminate(procs: list[psutil.Process], grace: float) -> None:
    """SIGTERM, wait up to `grace`, SIGKILL the rest."""
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running()) and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop(settings: StackSettings, grace: float = 20.0) -> list[int]:
    """Stop the stack and every process it started; return the pids that were stopped."""
    state = StackState.load(settings.state_dir)
    proc = _our_process(state) if state else None
    stopped: list[int] = []
    if proc is not None:
        tree: list[psutil.Process] = []
        with contextlib.suppress(psutil.Error):
            tree = proc.children(recursive=True)
        stopped = [proc.pid, *(p.pid for p in tree)]
        # LocalStack stops its functions and stand-ins on SIGTERM (DISABLE_EVENTS=1 keeps that from hanging).
        _terminate([proc], grace)
        _terminate([p for p in tree if _alive(p)], 3.0)
    (settings.state_dir / STATE_FILE).unlink(missing_ok=True)
    return stopped


def known_ports(state_root: Path) -> list[int]:
    """Ports of every stack with recorded state, for `status` without --port."""
    ports = []
    for path in sorted(state_root.glob("stack-*")):
        if (path / STATE_FILE).exists():
            with contextlib.suppress(ValueError):
                ports.append(int(path.name.removeprefix("stack-")))
    return ports
