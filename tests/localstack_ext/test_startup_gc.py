"""LocalStack starts without cyclic garbage collection and collects again once ready
(scones_localstack.startup_gc), in LocalStack's own interpreter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scones.testing.stack import LocalStackHandle
from tests.helpers.localstack_venv import run_probe

PROBE = """
import gc, json
from scones_localstack import hooks, startup_gc  # importing hooks pauses the collector, as plux does
paused = not gc.isenabled()
hooks.resume_garbage_collection()  # the on_infra_ready hook
frozen = gc.get_freeze_count()
hooks.resume_garbage_collection()  # idempotent
startup_gc.pause()
again = not gc.isenabled()
startup_gc.resume()
cycle = []
cycle.append(cycle)
del cycle
print(json.dumps({
    "paused on import": paused,
    "enabled after": gc.isenabled(),
    "start frozen": frozen > 10000,
    "pause again": again,
    "collects": gc.collect() >= 1,
}))
"""


def test_collector_paused_on_import_then_frozen_and_on_again() -> None:
    """Importing the hooks module (the first thing plux does with our extension) turns the collector off;
    the ready hook freezes what the start built and turns it on again; a cycle made after is collected."""
    assert run_probe(PROBE) == {
        "paused on import": True,
        "enabled after": True,
        "start frozen": True,
        "pause again": True,
        "collects": True,
    }


def test_the_ready_hook_is_registered() -> None:
    """The resume runs because plux finds it under LocalStack's on_infra_ready hooks."""
    out = run_probe(
        "import json; from importlib.metadata import entry_points; "
        "print(json.dumps(sorted(e.value for e in entry_points(group='localstack.hooks.on_infra_ready'))))"
    )
    assert "scones_localstack.hooks:resume_garbage_collection" in out


@pytest.mark.integration
def test_a_stack_collects_garbage_once_ready(localstack: LocalStackHandle) -> None:
    """On the session's real stack: the ready hook ran (its log line), not the fallback."""
    assert localstack.client("sts").get_caller_identity()["Account"]
    assert localstack.state is not None
    log = Path(localstack.state.log_file).read_text(errors="replace")
    assert re.search(r"garbage collection on \(ready\); \d+ objects of the start frozen", log), log[-2000:]
    assert "not ready after" not in log
