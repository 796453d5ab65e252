"""tools/setup.py: clear errors on a machine without Python 3.13, and nothing redone on a re-run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scones.config import PROJECT_ROOT
from tests.helpers.setup_script import load_setup_script

SETUP = load_setup_script()


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


def _pins(*files: str) -> dict[str, str]:
    """Name -> version of the `name==version` lines of constraints files, names normalised."""
    lines = [line for f in files for line in (PROJECT_ROOT / "constraints" / f).read_text().splitlines()]
    pinned = [line.split("#", 1)[0].strip() for line in lines if SETUP._pin_name(line)]
    return {SETUP._pin_name(line): line.split("==", 1)[1] for line in pinned}


def _frozen(python: Path) -> dict[str, str]:
    """Name -> version of what a venv holds (setup's own `pip freeze`: editables, pip, and under Python
    3.11 setuptools and wheel left out)."""
    return {SETUP._pin_name(line): line.split("==", 1)[1] for line in SETUP.freeze(python) if "==" in line}


@pytest.mark.parametrize("key", ["project", "localstack", "lambda", "endpoint"])
def test_setup__every_env_holds_exactly_its_pins(key: str) -> None:
    """Whatever installs them (uv by default, pip with --pip), every pinned package is in its venv at the
    pinned version: an installer that resolved differently would fail here. (A tool a developer added by
    hand, pinned nowhere, is left alone.)"""
    env = SETUP.ENVS[key]
    if not SETUP.is_current(env):
        pytest.skip(f"{env.name} is out of date (its inputs changed); `make setup` rebuilds it")
    pins = _pins(env.constraints, *([env.lint] if env.lint else []))
    frozen = _frozen(PROJECT_ROOT / env.name / "bin" / "python")
    seeded = {"pip", "setuptools", "wheel"} - set(frozen)  # the venv's own, hidden by pip freeze
    wrong = {name: (version, frozen.get(name)) for name, version in pins.items() if name not in seeded}
    assert {name: found for name, found in wrong.items() if found[0] != found[1]} == {}


def test_setup__pip_configuration_reaches_uv() -> None:
    """uv reads neither pip.conf nor PIP_*; a machine's mirror, wheelhouse, extra constraints and CA bundle
    must hold for it all the same, with pip's precedence (PIP_* over [install] over [global])."""
    listed = "\n".join(
        [
            "global.cert='/etc/ssl/certs/ca-certificates.crt'",
            "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'",
            "global.find-links='/opt/old'",
            ":env:.find-links='/opt/wheels'",
            "install.constraint='/etc/xdg/pip/constraints.txt'",
            ":env:.default-timeout='180'",
            "global.index-url='https://mirror.example/simple'",
            "freeze.all='true'",
        ]
    )
    args, environ = SETUP.uv_settings_from_pip(listed)
    assert args == [
        "--index-url",
        "https://mirror.example/simple",
        "--extra-index-url",
        "file:///opt/a/simple",
        "--extra-index-url",
        "file:///opt/b/simple",
        "--find-links",
        "/opt/wheels",
        "--constraint",
        "/etc/xdg/pip/constraints.txt",
    ]
    assert environ == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "UV_HTTP_TIMEOUT": "180"}
    assert SETUP.uv_settings_from_pip("") == ([], {})


def test_setup__failures_side_by_side_are_one_message() -> None:
    """Envs are built at once; when two fail, both are named in one SetupError (printed as one message,
    never a traceback), and a build that succeeds alongside is not lost."""
    done: list[str] = []

    def fails(name: str) -> None:
        raise SETUP.SetupError(f"command failed (1): {name}")

    jobs = {".venv-a": lambda: fails("a"), ".venv-b": lambda: done.append("b"), ".venv-c": lambda: fails("c")}
    with pytest.raises(SETUP.SetupError) as caught:
        SETUP.side_by_side(jobs)
    assert str(caught.value).splitlines() == [
        ".venv-a: command failed (1): a",
        ".venv-c: command failed (1): c",
    ]
    assert done == ["b"]


def test_setup__uv_builds_and_stamps_an_env_in_a_fresh_project(tmp_path: Path) -> None:
    """The function runtime env built from nothing in an empty copy of the project, by uv (the checkout's
    .venv-installer, linked in): the pinned versions, a stamp, and a re-run that builds nothing."""
    installer = PROJECT_ROOT / ".venv-installer"
    if not (installer / "bin" / "uv").exists():
        pytest.skip("no .venv-installer in the checkout (set up with --pip)")
    project = _isolated_copy(tmp_path / "project")
    (project / ".venv-installer").symlink_to(installer)
    script = [sys.executable, str(project / "tools" / "setup.py"), "lambda"]
    first = subprocess.run(script, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "setup: building .venv-lambda" in first.stdout
    assert (project / ".venv-lambda" / ".scones-stamp.json").exists()
    assert _frozen(project / ".venv-lambda" / "bin" / "python") == _pins("function-runtime.txt")
    again = subprocess.run(script, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == ""
