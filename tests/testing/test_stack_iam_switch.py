"""The fixtures' stacks enforce IAM by default, and the one documented setting (``SCONES_IAM_ENFORCE=0`` in
the shell) turns it off for them as it does for ``scones up`` (issue #16: "on by default wherever the stack
runs ... off with one documented setting"). Real stacks: what LocalStack's process was started with is
read back the way ``scones status`` reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scones import config as cfg
from scones.stack.iam_denials import enforcement
from scones.testing.stack import start_stack

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("shell", "expected"), [(None, True), ("0", False), ("1", True)])
def test_start_stack_follows_the_shell_switch(
    shell: str | None, expected: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shell is None:
        monkeypatch.delenv(cfg.IAM_ENFORCE.name, raising=False)
    else:
        monkeypatch.setenv(cfg.IAM_ENFORCE.name, shell)
    handle = start_stack(tmp_path)
    try:
        assert handle.settings.iam_enforce is expected
        assert handle.state is not None
        assert enforcement(handle.state.pid) is expected
    finally:
        handle.stop()


def test_a_test_may_still_choose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit ``iam_enforce=`` wins over the shell (tests/scones/test_iam_run.py needs enforcement
    whatever the shell says)."""
    monkeypatch.setenv(cfg.IAM_ENFORCE.name, "0")
    handle = start_stack(tmp_path, iam_enforce=True)
    try:
        assert handle.state is not None
        assert enforcement(handle.state.pid) is True
    finally:
        handle.stop()
