"""Errors of the local stack, each a problem the user can act on (the CLI prints them, no traceback).

StackError
├── LocalStackNotInstalledError   the LocalStack venv is missing (run `make setup`)
├── PortInUseError                something else listens on the port
├── StackAlreadyRunningError      `up` on a port whose stack runs
└── StackStartError               LocalStack exited or never became healthy (log tail attached)
"""

from __future__ import annotations

from pathlib import Path


class StackError(Exception):
    """Base class for local-stack problems."""


class LocalStackNotInstalledError(StackError):
    def __init__(self, python: Path) -> None:
        super().__init__(f"LocalStack's venv is missing ({python}); run `make setup` first.")


class PortInUseError(StackError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"Port {port} on {host} is already in use; pick another with --port.")


class StackAlreadyRunningError(StackError):
    def __init__(self, endpoint_url: str, pid: int) -> None:
        self.endpoint_url = endpoint_url
        self.pid = pid
        super().__init__(f"A stack already runs at {endpoint_url} (pid {pid}).")


class StackStartError(StackError):
    def __init__(self, reason: str, log_file: Path) -> None:
        tail = ""
        if log_file.exists():
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-25:])
        super().__init__(f"{reason}. Log: {log_file}\n{tail}")
