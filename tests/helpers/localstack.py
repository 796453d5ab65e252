"""Real LocalStack stacks for tests: a handle on a started stack (settings, state, clients, stop) and a way to
start one of a test's own (tests/conftest.py's `localstack` fixture starts the session's shared one)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scones import stack
from scones.stack.settings import StackSettings


@dataclass(frozen=True)
class LocalStackHandle:
    settings: StackSettings
    state: stack.StackState

    @property
    def endpoint_url(self) -> str:
        return self.settings.endpoint_url

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def log_file(self) -> Path:
        return Path(self.state.log_file)

    def client(self, service: str, **config: Any) -> Any:
        from botocore.config import Config

        return stack.local_client(service, self.endpoint_url, Config(**config) if config else None)

    def stop(self) -> list[int]:
        return stack.stop(self.settings)


def start_stack(tmp_root: Path, **kwargs: Any) -> LocalStackHandle:
    """Start a stack on a free port with its state under `tmp_root` (tests that need their own)."""
    settings = StackSettings(port=stack.free_port(), state_root=tmp_root, **kwargs)
    return LocalStackHandle(settings, stack.start(settings))
