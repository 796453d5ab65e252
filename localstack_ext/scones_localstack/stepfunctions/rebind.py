"""Swap a function everywhere LocalStack's Step Functions modules hold it.

Why: those modules bind helpers by name at import time (``from ... import boto_client_for``), and which
of them are already imported when a hook runs depends on the hooks' order (one hook importing the
parser imports every state component). Patching the defining module alone would then miss the copies.
"""

from __future__ import annotations

import sys
from typing import Any

PACKAGE = "localstack.services.stepfunctions"


def rebind(original: Any, replacement: Any, package: str = PACKAGE) -> list[str]:
    """Point every module-level name under ``package`` that is ``original`` at ``replacement``."""
    rebound = []
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == package or module_name.startswith(package + ".")):
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, replacement)
                rebound.append(f"{module_name}.{attr}")
    return rebound
