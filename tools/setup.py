#!/usr/bin/env python3
"""Create every environment scones needs, idempotently, with nothing but the standard library.

Why a script and not a Makefile recipe: a fresh machine has no venv yet, finding the right
interpreters needs real checks (pyenv shims sit on PATH and fail outside their version), and a
re-run must skip what is already right in well under a second. Each environment carries a stamp
file with a hash of everything that went into it; a matching stamp means there is nothing to do.

Installs go through uv (pinned in constraints/installer.txt, put by pip into .venv-installer first):
it resolves the same constraints files to the same versions as pip, several times faster, and the
environments, being independent, are built side by side. pip's own configuration (pip.conf, PIP_*: a
mirror, a wheelhouse, a CA bundle) is handed on to uv, which reads neither. `--pip` installs with each
environment's own pip instead, one after the other, as before.

Environments (all git-ignored, under the project root):
  .venv            Python 3.11  the project (scones, training, tests, dev tools)
  .venv-localstack Python 3.13  localstack-core under a complete constraints file + our extensions
  .venv-lambda     Python 3.13  the function runtime: boto3 only, as the AWS python3.13 runtime
  .venv-endpoint   Python 3.11  the stand-in SageMaker endpoint's own dependencies (onnxruntime ...)
  .venv-sdk        Python 3.11  the SageMaker Python SDK v2, for the real-client tests (tests/clients);
                                built only when named (`tools/setup.py sdk`, run by `make test-clients`)
  .venv-installer  Python 3.11  uv, which installs the others (built first, with pip)
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
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

# uv itself, installed with pip into a venv of its own (the one install that cannot use uv).
INSTALLER = Env(
    name=".venv-installer",
    python="3.11",
    constraints="installer.txt",
    requirements=["uv"],
    check="import os, uv; assert os.access(uv.find_uv_bin(), os.X_OK)",
)

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


@cache
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


_OUTPUT = threading.Lock()


def _say(line: str) -> None:
    """Print whole lines only: environments are built side by side and must not interleave mid-line."""
    with _OUTPUT:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _run(cmd: list[str], quiet: bool, *, label: str = "", environ: dict[str, str] | None = None) -> None:
    """One install step. Its output is kept (quiet) or shown as it comes, each line prefixed with `label`
    so side-by-side builds stay readable; a failure is one SetupError ending with the output's tail."""
    printable = " ".join(cmd)
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(environ or {})},
        )
    except OSError as exc:
        raise SetupError(f"command failed ({exc}): {printable}") from None
    tail: deque[str] = deque(maxlen=80)
    assert proc.stdout is not None
    for line in proc.stdout:
        tail.append(line)
        if not quiet:
            _say(f"{label}| {line.rstrip()}" if label else line.rstrip())
    code = proc.wait()
    if code != 0:
        detail = "".join(tail)[-6000:] if quiet else ""
        raise SetupError(f"command failed ({code}): {printable}\n{detail}")


# pip settings uv has an option for. uv reads neither pip.conf nor PIP_*: without these a machine's
# mirror, wheelhouse or extra constraints would hold for pip and silently not for uv.
PIP_TO_UV = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraint",
    "trusted-host": "--allow-insecure-host",
}
PIP_SECTIONS = {"global": 0, "install": 1, ":env:": 2}  # pip's precedence: PIP_* over [install] over [global]


def uv_settings_from_pip(pip_config_list: str) -> tuple[list[str], dict[str, str]]:
    """`pip config list` output as uv arguments and environment variables (CA bundle, timeout)."""
    settings: dict[str, tuple[int, str]] = {}
    for line in pip_config_list.splitlines():
        key, sep, raw = line.partition("=")
        section, _, name = key.rpartition(".")
        if not sep or section not in PIP_SECTIONS:
            continue
        try:
            value = str(ast.literal_eval(raw))
        except (ValueError, SyntaxError):
            value = raw.strip("'\"")
        if PIP_SECTIONS[section] >= settings.get(name, (-1, ""))[0]:
            settings[name] = (PIP_SECTIONS[section], value)
    values = {name: value for name, (_, value) in settings.items()}
    args: list[str] = []
    for name, flag in PIP_TO_UV.items():
        for value in values.get(name, "").split():
            args += [flag, value]
    if values.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        args.append("--no-index")
    environ: dict[str, str] = {}
    if values.get("cert"):
        environ["SSL_CERT_FILE"] = values["cert"]
    timeout = values.get("timeout") or values.get("default-timeout")
    if timeout:
        environ["UV_HTTP_TIMEOUT"] = timeout
    return args, environ


@dataclass(frozen=True)
class Installer:
    """What creates a venv and installs into it: uv (default) or, with `--pip`, the venv's own pip."""

    uv: str | None = None  # uv's executable; None means pip
    options: list[str] = field(default_factory=list)  # from pip's configuration (uv_settings_from_pip)
    environ: dict[str, str] = field(default_factory=dict)

    def create(self, python: str, venv: Path) -> list[str]:
        if self.uv is None:
            return [python, "-m", "venv", str(venv)]
        # --seed: pip stays in every venv, for `--refreeze` and for whoever types `.venv/bin/pip`
        return [self.uv, "venv", "--quiet", "--seed", "--python", python, str(venv)]

    def install(self, vpy: Path, quiet: bool) -> list[str]:
        if self.uv is None:
            pip = [str(vpy), "-m", "pip", "install", "--disable-pip-version-check"]
            return pip + (["-q"] if quiet else [])
        # unsafe-best-match is pip's rule (the best version over all indexes); uv's default would take
        # every version of a package from the first index that has any, and miss a pin a mirror lacks.
        # --compile-bytecode, as pip does: uv's default leaves it to the first import, which is then
        # about twice as slow (LocalStack's start, each function's cold start) and, where
        # PYTHONDONTWRITEBYTECODE is set, stays slow on every import.
        return [
            self.uv,
            "pip",
            "install",
            "--python",
            str(vpy),
            "--index-strategy",
            "unsafe-best-match",
            "--compile-bytecode",
            *self.options,
            *(["--quiet"] if quiet else []),
        ]


def is_current(env: Env) -> bool:
    """The env exists and its stamp matches what would go into it now: nothing to do."""
    vpy = ROOT / env.name / "bin" / "python"
    stamp_path = ROOT / env.name / STAMP
    if not (stamp_path.exists() and vpy.exists()):
        return False
    stamp = json.loads(stamp_path.read_text())
    return bool(stamp.get("digest") == _digest(env, stamp.get("python_version", "")))


def build(env: Env, installer: Installer, *, quiet: bool = True) -> Path:
    """(Re)build one env and stamp it once it passes its check."""
    started = time.monotonic()
    venv = ROOT / env.name
    vpy = venv / "bin" / "python"
    python = find_python(env.python)
    digest = _digest(env, env.python)
    _say(f"setup: building {env.name} with {python} ...")
    (venv / STAMP).unlink(missing_ok=True)  # a build that fails half way must not look current (--force)
    if not vpy.exists() or _version_of(str(vpy)) != env.python:
        shutil.rmtree(venv, ignore_errors=True)
        _run(installer.create(python, venv), quiet, label=env.name, environ=installer.environ)
    constraints = CONSTRAINTS / env.constraints
    install = installer.install(vpy, quiet)
    if constraints.exists():
        install += ["-c", str(constraints)]
    _run(install + env.requirements, quiet, label=env.name, environ=installer.environ)
    if env.lint:  # a second install: the env's own pins hold, and these stay out of its constraints file
        _run([*install, "-r", str(CONSTRAINTS / env.lint)], quiet, label=env.name, environ=installer.environ)
    check = subprocess.run([str(vpy), "-c", env.check], cwd=ROOT, capture_output=True, text=True)
    if check.returncode != 0:
        raise SetupError(f"{env.name} was built but does not work:\n{check.stderr[-2000:]}")
    (venv / STAMP).write_text(json.dumps({"digest": digest, "python_version": env.python}))
    _say(f"setup: {env.name} ready ({time.monotonic() - started:.0f} s)")
    return vpy


def ensure(key: str, *, force: bool = False, quiet: bool = True, installer: Installer | None = None) -> Path:
    """One env from ENVS, built only when its stamp does not match (or `force`)."""
    env = ENVS[key]
    if not force and is_current(env):
        return ROOT / env.name / "bin" / "python"
    return build(env, installer or uv_installer(quiet=quiet), quiet=quiet)


def uv_installer(*, quiet: bool = True) -> Installer:
    """uv from .venv-installer (built with pip when missing or stale), told pip's configuration."""
    vpy = ROOT / INSTALLER.name / "bin" / "python"
    if not is_current(INSTALLER):
        build(INSTALLER, Installer(), quiet=quiet)
    listed = subprocess.run(
        [str(vpy), "-m", "pip", "config", "list"], cwd=ROOT, capture_output=True, text=True
    )
    options, environ = uv_settings_from_pip(listed.stdout if listed.returncode == 0 else "")
    # The system's certificate store, as pip (truststore) uses: uv's own bundled roots would refuse a
    # company proxy's CA that pip accepts.
    environ = {"UV_NATIVE_TLS": "1", **environ}
    return Installer(uv=str(ROOT / INSTALLER.name / "bin" / "uv"), options=options, environ=environ)


def side_by_side(jobs: dict[str, Callable[[], object]]) -> None:
    """Run independent steps at once (pip and uv mostly wait on the network and the disk); every
    failure is reported, after all have ended, in one SetupError."""
    if not jobs:
        return
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
    failures: list[str] = []
    for name, future in futures.items():
        error = future.exception()
        if isinstance(error, SetupError):
            failures.append(f"{name}: {error}" if len(jobs) > 1 else str(error))
        elif error is not None:
            raise error
    if failures:
        raise SetupError("\n".join(failures))


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
        _say(
            f"setup: {CHROMIUM} is missing and cannot be installed here (needs root and apt-get); the "
            "report's browser test will skip. Install Debian's `chromium` package to run it."
        )
        return
    _say("setup: installing chromium with apt-get ...")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=apt_env)
        if result.returncode != 0:
            detail = result.stderr[-3000:]
            raise SetupError(f"command failed ({result.returncode}): {' '.join(cmd)}\n{detail}")
    _say("setup: chromium ready")


SYSTEM_STEPS = {"chromium": ensure_chromium}  # run after the venvs by default; no stamp, checked live


def _pin_name(line: str) -> str:
    """The normalised package name of a `name==version` line ("" for comments and blanks)."""
    name = line.split("#", 1)[0].split("==", 1)[0].strip()
    return name.lower().replace("_", "-").replace(".", "-")


def freeze(python: Path) -> list[str]:
    """``name==version`` lines of what the venv of ``python`` holds (`pip freeze`: editables left out)."""
    out = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line and not line.startswith("-e")]


def refreeze(key: str) -> None:
    """Rewrite a constraints file from what the env holds now (after a deliberate upgrade)."""
    env = ENVS[key]
    pins = freeze(ROOT / env.name / "bin" / "python")
    path = CONSTRAINTS / env.constraints
    header = [line for line in path.read_text().splitlines() if line.startswith("#")] if path.exists() else []
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
    parser.add_argument("--verbose", action="store_true", help="show the installer's output")
    parser.add_argument(
        "--pip", action="store_true", help="install with each env's own pip, not uv (slower; no uv needed)"
    )
    parser.add_argument(
        "--refreeze", action="store_true", help="rewrite the constraints file(s) from the env(s)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.envs) - set(ENVS) - set(SYSTEM_STEPS))
    if unknown:
        parser.error(f"unknown env(s) {unknown}; choose from {[*ENVS, *SYSTEM_STEPS]}")
    keys = args.envs or [*defaults, *SYSTEM_STEPS]
    quiet = not args.verbose
    try:
        if args.refreeze:
            for key in keys:
                if key in ENVS:
                    refreeze(key)
            return 0
        stale = [ENVS[key] for key in keys if key in ENVS and (args.force or not is_current(ENVS[key]))]
        jobs: dict[str, Callable[[], object]] = {k: SYSTEM_STEPS[k] for k in keys if k in SYSTEM_STEPS}
        if stale:
            started = time.monotonic()
            for env in stale:  # a missing interpreter is said before anything is installed
                find_python(env.python)
            installer = Installer() if args.pip else uv_installer(quiet=quiet)
            for env in stale:
                jobs[env.name] = partial(build, env, installer, quiet=quiet)
            side_by_side(jobs)
            _say(f"setup: done in {time.monotonic() - started:.0f} s")
        else:
            side_by_side(jobs)
    except SetupError as exc:
        print(f"setup: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
