"""Finds the host interpreter that runs a Lambda runtime, and proves it works by running it.

A path on PATH is not proof: pyenv shims exist everywhere and fail outside their version, and a
broken venv keeps a dangling ``bin/python``. So each candidate runs once (cached per runtime).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
import subprocess
import threading
from pathlib import Path

from scones_localstack.config import LAMBDA_PROCESS_PYTHON, LAMBDA_PROCESS_PYTHON_MAPPING
from scones_localstack.lambda_executor.settings import ProcessExecutorSettings

LOG = logging.getLogger(__name__)

_PYTHON_RUNTIME = re.compile(r"^python(\d+)\.(\d+)$")
_PROBE = (
    "import importlib.util, json, sys; print(json.dumps({'version': list(sys.version_info[:2]), "
    "'prefix': sys.prefix, 'boto3': importlib.util.find_spec('boto3') is not None}))"
)
_PROBE_TIMEOUT_S = 15.0


class UnsupportedRuntimeError(ValueError):
    """The function's runtime or package type cannot run as a host process."""


class InterpreterNotFoundError(RuntimeError):
    """No working interpreter is configured or installed for a python runtime."""


@dataclasses.dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int]
    prefix: str
    has_boto3: bool

    @property
    def bin_dir(self) -> str:
        return str(Path(self.path).parent)


def runtime_version(runtime: str) -> tuple[int, int]:
    """``python3.13`` -> (3, 13); anything else is unsupported by this executor."""
    match = _PYTHON_RUNTIME.match(runtime or "")
    if not match:
        raise UnsupportedRuntimeError(f"process executor does not support runtime {runtime}")
    return int(match.group(1)), int(match.group(2))


def candidates(runtime: str, settings: ProcessExecutorSettings) -> list[tuple[str, str]]:
    """(source, path) in the order they are tried: mapping, default, then PATH."""
    found: list[tuple[str, str]] = []
    if runtime in settings.python_mapping:
        found.append((LAMBDA_PROCESS_PYTHON_MAPPING, settings.python_mapping[runtime]))
    if settings.default_python:
        found.append((LAMBDA_PROCESS_PYTHON, settings.default_python))
    on_path = shutil.which(runtime)
    if on_path:
        found.append(("PATH", on_path))
    return found


def probe(path: str) -> Interpreter:
    """Runs the interpreter once with an empty environment; raises with its output on failure."""
    absolute = str(Path(path).expanduser().absolute())  # keep symlinks: a venv is found by its path
    try:
        proc = subprocess.run(
            [absolute, "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT_S,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterNotFoundError(f"{absolute} does not run: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        raise InterpreterNotFoundError(f"{absolute} does not run: {detail[0]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return Interpreter(absolute, (info["version"][0], info["version"][1]), info["prefix"], info["boto3"])


class InterpreterResolver:
    """Resolves and caches one verified interpreter per runtime (thread-safe)."""

    def __init__(self, settings: ProcessExecutorSettings) -> None:
        self._settings = settings
        self._cache: dict[str, Interpreter] = {}
        self._lock = threading.Lock()

    def resolve(self, runtime: str) -> Interpreter:
        wanted = runtime_version(runtime)
        with self._lock:
            cached = self._cache.get(runtime)
            if cached is not None:
                return cached
            failures: list[str] = []
            for source, path in candidates(runtime, self._settings):
                try:
                    interpreter = probe(path)
                except InterpreterNotFoundError as exc:
                    failures.append(f"{source}: {exc}")
                    continue
                if interpreter.version != wanted:
                    LOG.warning(
                        "Lambda runtime %s runs on %s, which is Python %d.%d",
                        runtime,
                        interpreter.path,
                        *interpreter.version,
                    )
                if not interpreter.has_boto3:
                    LOG.warning(
                        "%s has no boto3, which AWS's %s runtime bundles; handlers importing it will fail",
                        interpreter.path,
                        runtime,
                    )
                self._cache[runtime] = interpreter
                return interpreter
            tried = "; ".join(failures) or "nothing configured and none on PATH"
            raise InterpreterNotFoundError(
                f"no working interpreter for runtime {runtime} ({tried}); set {LAMBDA_PROCESS_PYTHON_MAPPING}"
                f'=\'{{"{runtime}": "/path/to/venv/bin/python"}}\' or {LAMBDA_PROCESS_PYTHON}'
            )
