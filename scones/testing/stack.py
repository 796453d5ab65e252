"""A handle on one local stack for tests: its settings, its process state, clients bound to it, and stop.

Why here and not in tests/: the pytest plugin (scones.testing.plugin) ships with scones and starts the
same stacks for users' tests that our own suite uses; tests/helpers/localstack.py re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scones import stack
from scones.stack.process import health
from scones.stack.settings import StackSettings


class NotOurStackError(RuntimeError):
    """The handle names a stack someone else started (``--scones-endpoint-url``): no log file, no stop."""


@dataclass(frozen=True)
class LocalStackHandle:
    """One stack. ``state`` is None for a stack that was already running when the session began."""

    settings: StackSettings
    state: stack.StackState | None

    @property
    def endpoint_url(self) -> str:
        return self.settings.endpoint_url

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def owned(self) -> bool:
        return self.state is not None

    @property
    def log_file(self) -> Path:
        if self.state is None:
            raise NotOurStackError(
                f"the stack at {self.endpoint_url} was started elsewhere: its log is there"
            )
        return Path(self.state.log_file)

    def client(self, service: str, **config: Any) -> Any:
        from botocore.config import Config

        return stack.local_client(service, self.endpoint_url, Config(**config) if config else None)

    def stop(self) -> list[int]:
        """Stop the stack this handle started; a stack started elsewhere is left running."""
        return stack.stop(self.settings) if self.owned else []


def start_stack(tmp_root: Path, **kwargs: Any) -> LocalStackHandle:
    """Start a stack on a free port with its state under ``tmp_root`` (one per session or per test)."""
    settings = StackSettings(port=stack.free_port(), state_root=tmp_root, **kwargs)
    return LocalStackHandle(settings, stack.start(settings))


def attach_stack(endpoint_url: str) -> LocalStackHandle:
    """A handle on a stack that is already running (``scones up``); raises StackError if it is not healthy."""
    parts = urlsplit(endpoint_url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ValueError(f"endpoint URL {endpoint_url!r}: expected http://HOST:PORT")
    settings = StackSettings(host=parts.hostname, port=parts.port)
    if health(settings.endpoint_url) is None:
        raise stack.StackError(f"no healthy stack at {settings.endpoint_url}: start one with `scones up`")
    return LocalStackHandle(settings, None)
