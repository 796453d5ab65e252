"""tools/setup.py: clear errors on a machine without Python 3.13, and nothing redone on a re-run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scones.config import PROJECT_ROOT


def _isolated_copy(tmp_path: Path) -> Path:
    """The set-up script and constraints in an empty project, so no stamp or venv exists yet."""
    (tmp_path / "tools").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "tools" / "setup.py", tmp_path / "tools" / "setup.py")
    shutil.copytree(PROJECT_ROOT / "constraints", tmp_path / "constraints")
    return tmp_path


def test_setup__missing_python_313_says_how_to_get_it(tmp_path: Path) -> None:
    system_wide = [p for p in ("/usr/bin/python3.13", "/usr/local/bin/python3.13") if Path(p).exists()]
    if system_wide:
        pytest.skip(f"a system-wide Python 3.13 exists ({system_wide[0]}): the missing case cannot be shown")
    project = _isolated_copy(tmp_path / "project")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    (empty_bin / "python3").symlink_to(sys.executable)  # only a 3.11 on this "machine"
    result = subprocess.run(
        [sys.executable, str(project / "tools" / "setup.py"), "lambda"],
        capture_output=True,
        text=True,
        env={"PATH": str(empty_bin), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")},
        timeout=120,
    )
    assert result.returncode == 1
    assert "No working Python 3.13 found" in result.stderr
    assert "pyenv install 3.13" in result.stderr
    assert "SCONES_PYTHON_3_13" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _setup_all() -> subprocess.CompletedProcess[str]:
    """The default set, as `make setup` runs it (no env named)."""
    script = str(PROJECT_ROOT / "tools" / "setup.py")
    return subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=600)


def test_setup__the_sdk_venv_is_built_only_when_named() -> None:
    """`make setup` (and so `make test`) leaves the SageMaker SDK's venv out: `make test-clients` builds it
    by name. The help says which envs the default set holds."""
    script = str(PROJECT_ROOT / "tools" / "setup.py")
    result = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, timeout=60)
    assert "(default project, localstack, lambda, endpoint)" in " ".join(result.stdout.split())
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "\t@$(SETUP) sdk\n" in makefile.split("test-clients: setup", 1)[1]


def test_setup__rerun_rebuilds_nothing() -> None:
    """`make test` ran the set-up just before; a second run must find every stamp current."""
    first = _setup_all()  # normally nothing to do; a stale env (edited constraints) is rebuilt once
    assert first.returncode == 0, first.stderr
    again = _setup_all()
    assert again.returncode == 0
    assert "building" not in again.stdout


def test_setup__function_runtime_really_runs_python_313_with_boto3() -> None:
    python = PROJECT_ROOT / ".venv-lambda" / "bin" / "python"
    out = subprocess.run(
        [str(python), "-c", "import sys, boto3; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "3.13"
