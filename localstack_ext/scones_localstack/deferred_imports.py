"""Defer moto packages LocalStack imports at start-up but the stack never uses.

Why: Step Functions' task-state factory imports ``moto.batch.utils`` for one enum (``JobStatus``), and a
submodule import runs its package's ``__init__`` first: ``moto/batch/__init__.py`` imports moto's Batch
backend, which imports moto's whole EC2 backend (instance types, regions, AMIs). That is about 1.3 s of a
3.7 s start on two cores, for a service the stack does not run. A deferred package is registered with its
``__path__`` but without running its ``__init__``, so its submodules import as usual; the first attribute
read that only ``__init__`` defines (``moto.batch.batch_backends``, which moto's backend lookup reads when a
Batch API is really called) runs ``__init__`` then, and everything behaves as before from that point on.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

DEFERRED = ("moto.batch",)


def defer(name: str) -> ModuleType | None:
    """Register ``name`` (a package) unexecuted; None when it is already imported or not installed."""
    if name in sys.modules:
        return None
    spec = importlib.util.find_spec(name)  # imports the parents (moto), not the package itself
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return None
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def run_init(attribute: str) -> Any:
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attribute)

    module.__dict__["__getattr__"] = run_init
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def install() -> None:
    """Runs when plux imports ``scones_localstack.hooks``, before any other hook and any request."""
    for name in DEFERRED:
        defer(name)
    # The other start-up-path saving (first requests that repeat or eagerly do work, first_requests.py)
    # rides on this call, the earliest our extension gets; it could be a hook of its own in hooks.py.
    from scones_localstack import first_requests

    first_requests.install()
