"""One function process: spawn, collect its output, see it exit, kill it (and its children)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_BUFFER_BYTES = 1024 * 1024
STOP_GRACE_S = 2.0


class RuntimeProcess:
    """A running shim. Its stdout+stderr (the function's output, tee'd by the shim) go to a ring buffer.

    ``on_exit(process)`` runs on the pump thread once the output ends and the process has exited,
    unless the exit was asked for by ``kill``/``stop``.
    """

    def __init__(
        self,
        argv: list[str],
        cwd: Path,
        env: dict[str, str],
        on_exit: Callable[[RuntimeProcess], None],
        fork: Callable[[], Any] | None = None,
    ) -> None:
        """``fork``: where a zygote forks the environment instead (returns a Popen look-alike whose
        stdout is the environment's output pipe)."""
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self._end = 0  # absolute offset of the byte after the last one received
        self.killed = False
        self._on_exit = on_exit
        self.popen: Any = (
            fork()
            if fork is not None
            else subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        )
        self._pump = threading.Thread(target=self._read, name=f"lambda-process-{self.popen.pid}", daemon=True)
        self._pump.start()

    @property
    def pid(self) -> int:
        pid: int = self.popen.pid  # popen is a subprocess.Popen or the zygote's stand-in: Any
        return pid

    @property
    def returncode(self) -> int | None:
        code: int | None = self.popen.poll()
        return code

    def alive(self) -> bool:
        return self.popen.poll() is None

    def offset(self) -> int:
        with self._lock:
            return self._end

    def output_since(self, offset: int) -> str:
        with self._lock:
            start = max(offset - (self._end - len(self._buffer)), 0)
            data = bytes(self._buffer[start:])
        return data.decode("utf-8", errors="replace")

    def output(self) -> str:
        with self._lock:
            return self._buffer.decode("utf-8", errors="replace")

    def _read(self) -> None:
        stream = self.popen.stdout
        assert stream is not None
        fd = stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            with self._lock:
                self._buffer += chunk
                self._end += len(chunk)
                if len(self._buffer) > LOG_BUFFER_BYTES:
                    del self._buffer[: len(self._buffer) - LOG_BUFFER_BYTES]
        stream.close()
        self.popen.wait()
        if not self.killed:
            self._on_exit(self)

    def kill(self, wait_output_s: float = 1.0) -> None:
        """SIGKILL the whole process group now, then let the pump drain what was written."""
        self.killed = True
        self._signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self._pump.join(timeout=wait_output_s)

    def stop(self) -> None:
        """SIGTERM the group, SIGKILL what is left after a grace period."""
        self.killed = True
        self._signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)
        # children that left the group's leader behind still share the group
        self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)
