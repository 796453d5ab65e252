"""Test hygiene: tests that read ../shared are marked `shared` and skip, with the reason, where it is absent;
test modules share code only through tests/helpers/.

The `shared` plugin (tests/helpers/shared_data.py) is run in a child pytest on small generated test files
(its behaviour with ../shared absent, present and incomplete, and with a test that forgot the marker), then
on this suite's own `shared` tests with ../shared pointed at a directory that does not exist: every one of
them must be skipped with the reason, none may fail or error.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.shared_data import SHARED_DIR_VARIABLE

ROOT = Path(__file__).resolve().parent.parent

PROBE_TESTS = """
import pytest

from tests.helpers.shared_data import require_shared


@pytest.mark.shared
def test_marked():
    assert require_shared("probe.txt").read_text() == "real data"


def test_unmarked_reads_shared():
    require_shared("probe.txt")


def test_plain():
    pass
"""
PROBE_INI = """[pytest]
addopts = -ra -p tests.helpers.shared_data
markers =
    shared: needs ../shared
"""


def run_pytest(args: list[str], shared_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, SHARED_DIR_VARIABLE: str(shared_dir), "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=240,
    )


def outcomes(output: str) -> dict[str, int]:
    """pytest's final line, e.g. ``1 failed, 1 passed, 1 skipped in 0.1s`` -> {"failed": 1, ...}."""
    last = output.strip().splitlines()[-1]
    return {word: int(count) for count, word in re.findall(r"(\d+) (\w+)", last)}


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    project = tmp_path / "probe"
    project.mkdir()
    (project / "pytest.ini").write_text(PROBE_INI)
    (project / "test_probe.py").write_text(PROBE_TESTS)
    return project


def test_shared_absent__marked_test_skips_with_the_reason_and_the_run_counts_it(
    probe: Path, tmp_path: Path
) -> None:
    absent = tmp_path / "no-such-shared"
    result = run_pytest([], absent, probe)
    output = result.stdout
    assert outcomes(output) == {"failed": 1, "passed": 1, "skipped": 1}, output
    reason = f"needs ../shared: {absent / 'data'} is absent"
    assert re.search(rf"SKIPPED \[1\] test_probe.py:\d+: {re.escape(reason)}", output), output
    assert f"1 test(s) marked `shared` skipped: {reason}" in output
    # A test that reads ../shared without the marker fails, and says what to do.
    assert "test_unmarked_reads_shared reads" in output and "is not marked @pytest.mark.shared" in output


def test_shared_present__marked_test_runs_and_an_unmarked_reader_still_fails(
    probe: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    (shared / "data" / "probe.txt").write_text("real data")
    result = run_pytest([], shared, probe)
    assert outcomes(result.stdout) == {"failed": 1, "passed": 2}, result.stdout
    assert "is not marked @pytest.mark.shared" in result.stdout
    assert "marked `shared` skipped" not in result.stdout


def test_shared_incomplete__a_missing_file_fails_rather_than_skips(probe: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    result = run_pytest(["-k", "marked and not unmarked"], shared, probe)
    assert outcomes(result.stdout) == {"failed": 1, "deselected": 2}, result.stdout
    assert "../shared is incomplete" in result.stdout


@pytest.mark.slow
def test_this_suite__every_shared_test_skips_with_the_reason_when_shared_is_absent(tmp_path: Path) -> None:
    """The suite's own `shared` tests (collected from tests/, run only as far as the skip)."""
    absent = tmp_path / "no-such-shared"
    result = run_pytest(["tests", "-m", "shared", "-q"], absent, ROOT)
    counts = outcomes(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert set(counts) == {"skipped", "deselected"}, result.stdout[-3000:]
    assert counts["skipped"] >= 20  # training, endpoint, capture and demo tests at least
    assert f"{counts['skipped']} test(s) marked `shared` skipped: needs ../shared" in result.stdout
    # Every skip is ours (one reason), none is some other skip that happened to come first.
    skipped_lines = re.findall(r"^SKIPPED \[(\d+)\] [^:]+(?::\d+)?: (.*)$", result.stdout, re.MULTILINE)
    assert sum(int(n) for n, _ in skipped_lines) == counts["skipped"]
    assert {reason for _, reason in skipped_lines} == {
        f"needs ../shared: {absent / 'data'} is absent (only the project's machines and CI have it)"
    }


def test_test_modules_share_code_only_through_tests_helpers() -> None:
    """Nothing imports a conftest or another test module: what two modules share lives in tests/helpers/
    (pytest's docs: conftest.py files are not meant to be imported), or is a stand-in program."""
    allowed = ("tests.helpers", "tests.localstack_ext.standins")
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("tests") and not name.startswith(allowed):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []


def test_helpers_are_not_named_like_test_modules() -> None:
    """A module named test_*.py is collected by pytest; one without tests is a misplaced helper."""
    misplaced = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(), str(path))
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        if not any(name.startswith(("test_", "Test")) for name in defined):
            misplaced.append(str(path.relative_to(ROOT)))
    assert misplaced == []
