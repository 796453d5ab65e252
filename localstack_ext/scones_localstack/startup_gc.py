"""No cyclic garbage collection while LocalStack starts; what the start built is then frozen, not rescanned.

Why: LocalStack's start imports some 2,000 modules and builds service models, nearly all of which live as
long as the process. CPython's collector keeps walking them: each run of the oldest generation visits
every tracked object, and a start allocates enough for several. Measured on the imports and models a
stack loads (2 cores, 8 runs each, alternated): 2.24 s of CPU with the collector on, 2.09 s with it off;
on the pytest plugin's set-up (stack up + deploy, 8 sessions each), 0.4 s less LocalStack CPU and 0.3 s
less time (benchmarks/bench_plugin.py, docs/performance.md). So the start runs with the collector off;
once LocalStack is ready, ``gc.freeze()`` moves everything the start built to the permanent generation
(CPython's documented way to keep long-lived objects out of later collections) and the collector is on
again for everything after. A start that never reaches Ready turns it back on after ``FALLBACK_S``.
"""

from __future__ import annotations

import gc
import logging
import threading

LOG = logging.getLogger(__name__)
FALLBACK_S = 60.0
_lock = threading.Lock()
_paused = False


def pause() -> None:
    """Called as early as our extension runs (plux importing ``scones_localstack.hooks``)."""
    global _paused
    with _lock:
        if _paused or not gc.isenabled():
            return
        gc.disable()
        _paused = True
    timer = threading.Timer(FALLBACK_S, resume, kwargs={"reason": f"not ready after {FALLBACK_S:g} s"})
    timer.daemon = True
    timer.start()


def resume(reason: str = "ready") -> None:
    """Freeze what the start built and collect again from here on (idempotent)."""
    global _paused
    with _lock:
        if not _paused:
            return
        gc.freeze()
        gc.enable()
        _paused = False
    LOG.info("garbage collection on (%s); %d objects of the start frozen", reason, gc.get_freeze_count())
