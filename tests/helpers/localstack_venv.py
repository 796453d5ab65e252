"""Run a probe script in LocalStack's own interpreter and read the JSON it prints last; load the extension's
standard-library-only config module from the project's interpreter.

Why: our LocalStack extensions patch LocalStack's modules and ship botocore, which only import in
LocalStack's venv (Python 3.13); the project's tests run on 3.11.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest

from scones.config import PROJECT_ROOT
from scones.stack import StackSettings

EXTENSION_CONFIG = PROJECT_ROOT / "localstack_ext" / "scones_localstack" / "config.py"


def run_probe(script: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    """The probe's last stdout line, parsed; skips the test when LocalStack's venv is not built."""
    python = StackSettings().localstack_python
    if not python.exists():
        pytest.skip(f"LocalStack's venv is not built ({python}); `make test` builds it")
    out = subprocess.run(
        [str(python), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=dict(env) if env is not None else None,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def extension_config() -> ModuleType:
    """``scones_localstack/config.py`` loaded by its path: it is standard library only, so the project's
    interpreter can read the names it defines without importing LocalStack."""
    name = "scones_localstack_config"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXTENSION_CONFIG)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module
