"""../shared, the project's real data (CIFAR-100 vehicles, real SageMaker captures), and the `shared` marker.

Only the project's machines and CI have ../shared; a user's clone does not. So every test that reads it
carries ``@pytest.mark.shared`` (declared in pyproject.toml), and this plugin (loaded by tests/conftest.py)
skips those tests in one place, with one reason, when the directory is absent, and says at the end of the
run how many it skipped. ``require_shared`` is how a test or fixture finds a file there; it fails a test
that reads ../shared without the marker (wherever it runs, so a missing marker is caught on the machines
that have the data too), and fails rather than skips when ../shared is there but incomplete.

``SCONES_SHARED_DIR`` moves ../shared (tests/test_hygiene.py points it at a missing directory to prove the
skip); the default is the checkout's sibling ``shared`` directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR_VARIABLE = "SCONES_SHARED_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get(SHARED_DIR_VARIABLE) or PROJECT_ROOT.parent / "shared")
SHARED_DATA = SHARED / "data"
MARKER = "shared"
SKIP_REASON = f"needs ../shared: {SHARED_DATA} is absent (only the project's machines and CI have it)"

_running: list[pytest.Item] = []  # the test being set up, run or torn down (require_shared checks its marker)


def shared_present() -> bool:
    return SHARED_DATA.is_dir()


def require_shared(*parts: str) -> Path:
    """A path under ../shared/data, for a test (or a fixture of a test) marked ``shared``."""
    path = SHARED_DATA.joinpath(*parts)
    item = _running[-1] if _running else None
    if item is not None and item.get_closest_marker(MARKER) is None:
        pytest.fail(
            f"{item.nodeid} reads {path} but is not marked @pytest.mark.{MARKER}: mark it, so that it is "
            "skipped with a reason where ../shared is absent",
            pytrace=False,
        )
    if not path.exists():
        pytest.fail(f"{path} is missing, yet {SHARED_DATA} exists: ../shared is incomplete", pytrace=False)
    return path


# --- pytest hooks (tests/conftest.py registers this module as a plugin) ---------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every ``shared`` test when ../shared is absent: here and nowhere else."""
    if shared_present():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line with the count and the reason (``-ra`` lists the skips one location at a time)."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(SKIP_REASON)
    ]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} test(s) marked `{MARKER}` skipped: {SKIP_REASON}")
