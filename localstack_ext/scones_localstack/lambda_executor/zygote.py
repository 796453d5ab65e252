"""LocalStack's side of ``shim_zygote.py``: one warm interpreter per function interpreter, forking
sandboxed environments so that the runtime and boto3 are imported once, not per cold start.

Used only in the namespace sandbox and only where it cannot change what a function imports: a task
root that bundles a module the zygote has already imported (boto3, botocore, ...) gets the normal
exec path, so its own copy wins as on AWS (``sys.path`` starts with the task root). If the zygote
cannot start or dies, environments use the exec path too (``LAMBDA_PROCESS_ZYGOTE=0`` forces it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)
ZYGOTE = Path(__file__).resolve().parent / "shim_zygote.py"
_HELLO_TIMEOUT_S = 30.0


class ForkedEnvironment:
    """The parts of ``subprocess.Popen`` RuntimeProcess uses, for a child forked by the zygote."""

    def __init__(self, pid: int, stdout: Any) -> None:
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._exited = threading.Event()

    def exited(self, status: int) -> None:
        self.returncode = os.waitstatus_to_exitcode(status)
        self._exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired("zygote child", timeout or 0)
        assert self.returncode is not None
        return self.returncode


class ZygoteUnavailableError(RuntimeError):
    """The zygote is not running (did not start, or died); use the exec path."""


class Zygote:
    def __init__(self, python: str) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock = ours
        self._lock = threading.Lock()
        self._next_id = 0
        self._waiting: dict[int, list[Any]] = {}
        self._children: dict[int, ForkedEnvironment] = {}
        self._early: dict[int, int] = {}
        self.alive = True
        self.popen = subprocess.Popen(
            [python, "-u", str(ZYGOTE), str(theirs.fileno())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,
            start_new_session=True,
            close_fds=True,
            pass_fds=(theirs.fileno(),),
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        theirs.close()
        self._file = ours.makefile("rb")
        hello_ready = threading.Event()
        self.modules: frozenset[str] = frozenset()

        def read() -> None:
            for raw in self._file:
                message = json.loads(raw)
                if "modules" in message:
                    self.modules = frozenset(message["modules"])
                    hello_ready.set()
                elif "id" in message:
                    with self._lock:
                        slot = self._waiting.pop(message["id"])
                    slot.append(message["pid"])
                    slot[0].set()
                else:
                    self._exit(message["pid"], message["status"])
            self.alive = False
            hello_ready.set()
            with self._lock:
                waiting, self._waiting = self._waiting, {}
            for slot in waiting.values():
                slot[0].set()

        threading.Thread(target=read, name="lambda-zygote", daemon=True).start()
        if not hello_ready.wait(_HELLO_TIMEOUT_S) or not self.alive:
            self.stop()
            raise ZygoteUnavailableError(f"the zygote for {python} did not start")
        LOG.debug("Lambda zygote %s for %s preloaded %d modules", self.popen.pid, python, len(self.modules))

    def _exit(self, pid: int, status: int) -> None:
        with self._lock:
            child = self._children.pop(pid, None)
            if child is None:
                self._early[pid] = status
                return
        child.exited(status)

    def can_serve(self, code_dir: Path) -> bool:
        """False if the task root bundles a module the zygote already imported (its copy must win)."""
        if not self.alive:
            return False
        with contextlib.suppress(OSError):
            for entry in code_dir.iterdir():
                name = entry.name.removesuffix(".py").split(".")[0] if entry.is_file() else entry.name
                if name in self.modules:
                    return False
        return True

    def fork(self, spec: dict[str, object], env: dict[str, str], cwd: Path) -> ForkedEnvironment:
        read_fd, write_fd = os.pipe()
        slot: list[Any] = [threading.Event()]
        try:
            with self._lock:
                if not self.alive:
                    raise ZygoteUnavailableError("the zygote is gone")
                self._next_id += 1
                request_id = self._next_id
                self._waiting[request_id] = slot
                request = {"id": request_id, "spec": spec, "env": env, "cwd": str(cwd)}
                socket.send_fds(self._sock, [json.dumps(request).encode() + b"\n"], [write_fd])
        except OSError as exc:
            os.close(read_fd)
            raise ZygoteUnavailableError(f"the zygote is gone: {exc}") from exc
        finally:
            os.close(write_fd)
        if not slot[0].wait(_HELLO_TIMEOUT_S) or len(slot) < 2:
            os.close(read_fd)
            raise ZygoteUnavailableError("the zygote did not fork")
        child = ForkedEnvironment(int(slot[1]), os.fdopen(read_fd, "rb", buffering=0))
        with self._lock:
            status = self._early.pop(child.pid, None)
            if status is None:
                self._children[child.pid] = child
        if status is not None:
            child.exited(status)
        return child

    def stop(self) -> None:
        self.alive = False
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            self.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


_ZYGOTES: dict[str, Zygote | None] = {}
_ZYGOTES_LOCK = threading.Lock()


def zygote_for(python: str) -> Zygote | None:
    """The running zygote for an interpreter, started on first use; None where it cannot run."""
    with _ZYGOTES_LOCK:
        current = _ZYGOTES.get(python)
        if current is not None and current.alive:
            return current
        if python in _ZYGOTES and current is None:
            return None  # failed before: do not retry on every cold start
        try:
            _ZYGOTES[python] = Zygote(python)
        except (OSError, ZygoteUnavailableError) as exc:
            LOG.warning("Lambda zygote for %s unavailable, cold starts exec the runtime: %s", python, exc)
            _ZYGOTES[python] = None
        return _ZYGOTES[python]


def stop_all() -> None:
    with _ZYGOTES_LOCK:
        zygotes = [z for z in _ZYGOTES.values() if z is not None]
        _ZYGOTES.clear()
    for zygote in zygotes:
        zygote.stop()
