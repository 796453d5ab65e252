#!/usr/bin/env python3
"""Create every environment scones needs, idempotently, with nothing but the standard library.

Why a script and not a Makefile recipe: a fresh machine has no venv yet, finding the right
interpreters needs real checks (pyenv shims sit on PATH and fail outside their version), and a
re-run must skip what is already right in well under a second. Each environment carries a stamp
file with a hash of everything that went into it; a matching stamp means there is nothing to do.

Environments (all git-ignored, under the project root):
  .venv            Python 3.11  the project (scones, training, tests, dev tools)
  .venv-localstack Python 3.13  localstack-core under a complete constraints file + our extensions
  .venv-lambda     Python 3.13  the function runtime: boto3 only, as the AWS python3.13 runtime
  .venv-endpoint   Python 3.11  the stand-in SageMaker endpoint's own dependencies (onnxruntime ...)
  .venv-sdk        Python 3.11  the SageMaker Python SDK v2, for the real-client tests (tests/clients);
                                built only when named (`tools/setup.py sdk`, run by `make test-clients`)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints"
STAMP = ".scones-stamp.json"


class SetupError(Exception):
    """A problem the user can fix; printed as one clear message, never a traceback."""


@dataclass(frozen=True)
class Env:
    name: str
    python: str  # "3.11" or "3.13"
    constraints: str  # file under constraints/
    requirements: list[str]  # pip arguments (after the constraints)
    inputs: list[str] = field(default_factory=list)  # extra files whose content invalidates the stamp
    check: str = "import sys"  # a smoke test run with the env's interpreter
    lint: str | None = None  # constraints/ file of dev-only tools installed on top (the images skip them)
    optional: bool = False  # built only when named on the command line, not by a plain `setup`


ENVS: dict[str, Env] = {
    "project": Env(
        name=".venv",
        python="3.11",
        constraints="project.txt",
        requirements=["-e", ".[dev,train]"],
        inputs=["pyproject.toml"],
        check="import scones, boto3, onnxruntime, torch",
    ),
    "localstack": Env(
        name=".venv-localstack",
        python="3.13",
        constraints="localstack.txt",
        # The complete pin set is installed as is: some packages LocalStack needs at run time
        # (service-identity for twisted TLS, ...) are not declared by localstack-core itself.
        requirements=["-r", "constraints/localstack.txt", "-e", "./localstack_ext"],
        inputs=["localstack_ext/pyproject.toml"],
        check="import localstack.runtime.main, scones_localstack",
        lint="localstack-lint.txt",  # mypy for `make lint`, against LocalStack's own types
    ),
    "lambda": Env(
        name=".venv-lambda",
        python="3.13",
        constraints="function-runtime.txt",
        requirements=["boto3"],
        check="import boto3, json; print(json.dumps(boto3.__version__))",
    ),
    "endpoint": Env(
        name=".venv-endpoint",
        python="3.11",
        constraints="endpoint.txt",
        requirements=["-r", "local_endpoint/requirements.txt"],
        inputs=["local_endpoint/requirements.txt"],
        check="import onnxruntime, PIL, starlette, uvicorn, boto3",
    ),
    "sdk": Env(
        name=".venv-sdk",
        python="3.11",
        constraints="sdk.txt",
        # The SageMaker Python SDK v2 for tests/clients (what the original notebook uses); its own venv
        # because it pulls pandas, numpy 2, protobuf, pydantic ... that the project does not need.
        requirements=["sagemaker<3", "boto3"],
        check="import sagemaker, boto3",
        optional=True,  # a minute of install that only `make test-clients` needs
    ),
}

HOW_TO_GET = {
    "3.13": (
        "Python 3.13 is required for LocalStack (localstack-core 2026.3.0) and the Lambda runtime.\n"
        "Install it with one of:\n"
        "  pyenv install 3.13            (then re-run; no need to select it)\n"
        "  uv python install 3.13\n"
        "  sudo apt-get install python3.13 python3.13-venv   (Debian/Ubuntu with a 3.13 package)\n"
        "  brew install python@3.13       (macOS)\n"
        "or point SCONES_PYTHON_3_13 at an existing python3.13 executable."
    ),
    "3.11": (
        "Python 3.11 is required for the project venv (torch 2.14.1 wheels).\n"
        "Install it with one of:\n"
        "  pyenv install 3.11\n"
        "  uv python install 3.11\n"
        "  sudo apt-get install python3.11 python3.11-venv\n"
        "  brew install python@3.11\n"
        "or point SCONES_PYTHON_3_11 at an existing python3.11 executable."
    ),
}


def _version_of(exe: str) -> str | None:
    """Run the interpreter once: finding a file is not proof it works (pyenv shims fail)."""
    try:
        out = subprocess.run(
            [exe, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            env={k: v for k, v in os.environ.items() if k != "PYENV_VERSION"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _candidates(version: str) -> list[str]:
    exe = f"python{version}"
    found: list[str] = []
    override = os.environ.get(f"SCONES_PYTHON_{version.replace('.', '_')}")
    if override:
        found.append(override)
    on_path = shutil.which(exe)
    if on_path:
        found.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found += [str(p) for p in sorted(Path(pyenv_root).glob(f"versions/{version}*/bin/{exe}"), reverse=True)]
    uv_pythons = Path.home() / ".local/share/uv/python"
    found += [str(p) for p in sorted(uv_pythons.glob(f"cpython-{version}*/bin/{exe}"), reverse=True)]
    for prefix in ("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin", "/opt/local/bin"):
        found.append(f"{prefix}/{exe}")
    for generic in ("python3", sys.executable):
        path = shutil.which(generic) or generic
        found.append(path)
    return found


def find_python(version: str) -> str:
    """The first candidate that really runs as Python `version` with the venv module."""
    for candidate in _candidates(version):
        if Path(candidate).exists() and _version_of(candidate) == version:
            return candidate
    raise SetupError(f"No working Python {version} found.\n{HOW_TO_GET[version]}")


def _digest(env: Env, python_version: str) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([env.python, python_version, env.requirements]).encode())
    lint = [f"constraints/{env.lint}"] if env.lint else []
    for rel in [f"constraints/{env.constraints}", *lint, *env.inputs]:
        path = ROOT / rel
        h.update(rel.encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    return h.hexdigest()


def _run(cmd: list[str], quiet: bool) -> None:
    printable = " ".join(cmd)
    result = subprocess.run(cmd, cwd=ROOT, capture_output=quiet, text=True)
    if result.returncode != 0:
        detail = (result.stdout or "")[-3000:] + (result.stderr or "")[-3000:] if quiet else ""
        raise SetupError(f"command failed ({result.returncode}): {printable}\n{detail}")


def ensure(key: str, *, force: bool = False, quiet: bool = True) -> Path:
    env = ENVS[key]
    venv = ROOT / env.name
    vpy = venv / "bin" / "python"
    stamp_path = venv / STAMP
    if not force and stamp_path.exists() and vpy.exists():
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("digest") == _digest(env, stamp.get("python_version", "")):
            return vpy
    python = find_python(env.python)
    digest = _digest(env, env.python)
    print(f"setup: building {env.name} with {python} ...", flush=True)
    if not vpy.exists() or _version_of(str(vpy)) != env.python:
        shutil.rmtree(venv, ignore_errors=True)
        _run([python, "-m", "venv", str(venv)], quiet)
    constraints = CONSTRAINTS / env.constraints
    pip = [str(vpy), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("-q")
    if constraints.exists():
        pip += ["-c", str(constraints)]
    _run(pip + env.requirements, quiet)
    if env.lint:  # a second install: the env's own pins hold, and these stay out of its constraints file
        _run([*pip, "-r", str(CONSTRAINTS / env.lint)], quiet)
    check = subprocess.run([str(vpy), "-c", env.check], cwd=ROOT, capture_output=True, text=True)
    if check.returncode != 0:
        raise SetupError(f"{env.name} was built but does not work:\n{check.stderr[-2000:]}")
    stamp_path.write_text(json.dumps({"digest": digest, "python_version": env.python}))
    print(f"setup: {env.name} ready", flush=True)
    return vpy


CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> None:
    """Debian's `chromium` for the report's headless-browser test: a system package, not a venv.

    Skips in well under a second when it already runs. Installing needs root and apt-get (CI is root on
    a fresh Debian machine); elsewhere it says so and the browser test skips with that reason.
    """
    try:
        ok = subprocess.run([CHROMIUM, "--version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if ok:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(
            f"setup: {CHROMIUM} is missing and cannot be installed here (needs root and apt-get); the "
            "report's browser test will skip. Install Debian's `chromium` package to run it.",
            flush=True,
        )
        return
    print("setup: installing chromium with apt-get ...", flush=True)
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=apt_env)
        if result.returncode != 0:
            detail = result.stderr[-3000:]
            raise SetupError(f"command failed ({result.returncode}): {' '.join(cmd)}\n{detail}")
    print("setup: chromium ready", flush=True)


SYSTEM_STEPS = {"chromium": ensure_chromium}  # run after the venvs by default; no stamp, checked live


def _pin_name(line: str) -> str:
    """The normalised package name of a `name==version` line ("" for comments and blanks)."""
    name = line.split("#", 1)[0].split("==", 1)[0].strip()
    return name.lower().replace("_", "-").replace(".", "-")


def refreeze(key: str) -> None:
    """Rewrite a constraints file from what the env holds now (after a deliberate upgrade)."""
    env = ENVS[key]
    vpy = ROOT / env.name / "bin" / "python"
    out = subprocess.run(
        [str(vpy), "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = CONSTRAINTS / env.constraints
    header = [line for line in path.read_text().splitlines() if line.startswith("#")] if path.exists() else []
    pins = [line for line in out.splitlines() if line and not line.startswith("-e")]
    if env.lint:  # dev-only tools keep their own file (see Env.lint)
        lint_names = {_pin_name(line) for line in (CONSTRAINTS / env.lint).read_text().splitlines()}
        pins = [line for line in pins if _pin_name(line) not in lint_names]
    path.write_text("\n".join(header + pins) + "\n")
    print(f"setup: wrote {path.relative_to(ROOT)} ({len(pins)} pins)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = [key for key, env in ENVS.items() if not env.optional]
    parser.add_argument(
        "envs",
        nargs="*",
        metavar="ENV",
        help=f"which envs: {', '.join(ENVS)} (default {', '.join(defaults)})",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the stamp matches")
    parser.add_argument("--verbose", action="store_true", help="show pip's output")
    parser.add_argument(
        "--refreeze", action="store_true", help="rewrite the constraints file(s) from the env(s)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.envs) - set(ENVS) - set(SYSTEM_STEPS))
    if unknown:
        parser.error(f"unknown env(s) {unknown}; choose from {[*ENVS, *SYSTEM_STEPS]}")
    try:
        for key in args.envs or [*defaults, *SYSTEM_STEPS]:
            if key in SYSTEM_STEPS:
                if not args.refreeze:
                    SYSTEM_STEPS[key]()
            elif args.refreeze:
                refreeze(key)
            else:
                ensure(key, force=args.force, quiet=not args.verbose)
    except SetupError as exc:
        print(f"setup: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
