"""Session fixtures shared by every test folder.

The `localstack` fixture starts one real LocalStack (host mode, our extensions, process Lambda
executor) per test session on a free port, exactly as `scones up` does, and stops it at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scones import stack
from scones.stack.settings import StackSettings

# Tests that read ../shared are marked `shared`; this plugin skips them, in one place, where it is absent.
pytest_plugins = ["tests.helpers.shared_data"]


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


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's real HTTP server on a free loopback port, for tests of the aws target: it stands in for
    AWS, which cannot be reached from here (LocalStack serves the local target)."""
    from moto.server import ThreadedMotoServer

    port = stack.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """One real LocalStack for the whole session (started on first use, stopped at the end)."""
    handle = start_stack(tmp_path_factory.mktemp("localstack"))
    try:
        yield handle
    finally:
        handle.stop()
