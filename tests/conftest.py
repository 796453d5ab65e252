"""Session fixtures shared by every test folder.

The `localstack` fixture is the scones pytest plugin's `scones_stack` (scones/testing/plugin.py, loaded by
its pytest11 entry point): one real LocalStack (host mode, our extensions, process Lambda executor) per test
session on a free port, exactly as `scones up` does, stopped at the end. Our suite uses the plugin users get,
so every run proves it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scones import stack
from scones.testing.stack import LocalStackHandle

# Tests that read ../shared are marked `shared`; this plugin skips them, in one place, where it is absent.
pytest_plugins = ["tests.helpers.shared_data"]


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
def localstack(scones_stack: LocalStackHandle) -> LocalStackHandle:
    """One real LocalStack for the whole session (started on first use, stopped at the end): the plugin's."""
    return scones_stack
