"""tests/compose runs only when named on the command line (`make test-compose`): it builds the images and
starts the compose stack on a Docker engine, which `make test` must never need. In any other run its tests
are reported as skipped, with the reason, rather than left out silently."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _named(config: pytest.Config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _named(config):
        return
    skip = pytest.mark.skip(
        reason="the Docker Compose test runs only with `make test-compose` (needs an engine)"
    )
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)
