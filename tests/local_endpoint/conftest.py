"""Fixtures for the local_endpoint tests: the tiny artifact and one real endpoint process per session.

The process and the helpers the test modules share live in tests/helpers/endpoint_process.py and
tests/helpers/images.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.endpoint_process import ENDPOINT_NAME, EndpointProcess, capture_config
from tests.helpers.tiny_model import build_tiny_artifact


@pytest.fixture(scope="session")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_artifact(tmp_path_factory.mktemp("artifact") / "model")


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory, artifact: Path) -> Iterator[EndpointProcess]:
    """The shared server: model dir, fixed endpoint name, capture to a local directory at 100 %."""
    root = tmp_path_factory.mktemp("endpoint")
    server = EndpointProcess(
        env={
            "SCONES_MODEL_DIR": str(artifact),
            "SCONES_ENDPOINT_NAME": ENDPOINT_NAME,
            "SCONES_DATA_CAPTURE_CONFIG": capture_config(str(root / "capture")),
            "SCONES_CAPTURE_FLUSH_INTERVAL_S": "0.2",
        },
        log_path=root / "endpoint.log",
    ).start()
    server.capture_dir = root / "capture"  # type: ignore[attr-defined]
    yield server
    assert server.stop() == 0, server.log()


@pytest.fixture(scope="session")
def client(endpoint: EndpointProcess) -> object:
    return endpoint.client()
