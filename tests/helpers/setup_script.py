"""tools/setup.py as a module (standard library only, no side effects on import), for tests of its pure
parts: the venvs, interpreters, pins and hashed files."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "setup.py"


def load_setup_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scones_setup_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module
