"""A stand-in's unpacked model does not outlive it (issue #12, finding 5: "every stand-in start leaves its
unpacked model (13 MB) in a temp folder after it stops").

Real LocalStack, real stand-ins. Each stand-in unpacks ModelDataUrl under its own TMPDIR, a folder LocalStack
creates for it inside its own TMPDIR (``<state>/tmp``, scones.stack.settings): the stand-in deletes its copy
on any exit it sees, LocalStack deletes the folder once the process is gone (so a SIGKILLed stand-in, which
cannot clean up, leaves nothing either).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest

from tests.helpers.localstack import LocalStackHandle, start_stack
from tests.helpers.sagemaker_endpoints import deploy_model, deploy_tiny, gone, png_bytes, standins

pytestmark = pytest.mark.integration


def model_copies(localstack: LocalStackHandle) -> set[Path]:
    """Every unpacked model under LocalStack's TMPDIR (scones.stack.settings), where stand-ins unpack."""
    return set((localstack.settings.state_dir / "tmp").glob("**/model.onnx"))


def test_standin_model_folder__deleted_on_delete_endpoint_and_after_a_crash(
    localstack: LocalStackHandle, tmp_path: Path
) -> None:
    """A stand-in unpacks ModelDataUrl (13 MB for the real model) into a temp folder; before, every one was
    left behind. Now: DeleteEndpoint removes it, and so does the restart after a SIGKILL (which the
    stand-in itself cannot survive to clean up)."""
    sm = localstack.client("sagemaker")
    before = set(model_copies(localstack))
    deploy_model(
        sm, localstack.client("s3"), tmp_path, "tmpdir-tiny", ["tmpdir-ep"], key="tmpdir/model.tar.gz"
    )
    first = set(model_copies(localstack)) - before
    assert len(first) == 1, first  # the stand-in's own copy, under LocalStack's TMPDIR

    victim = standins(localstack.state.pid)["tmpdir-ep"]
    os.killpg(victim.pid, signal.SIGKILL)
    assert gone(victim, 10)
    rt = localstack.client("sagemaker-runtime", retries={"mode": "standard", "max_attempts": 1})
    rt.invoke_endpoint(
        EndpointName="tmpdir-ep", ContentType="image/png", Body=png_bytes()
    )  # waits out the restart
    second = set(model_copies(localstack)) - before
    assert len(second) == 1 and second.isdisjoint(first), (first, second)  # the killed one's copy is gone

    proc = standins(localstack.state.pid)["tmpdir-ep"]
    sm.delete_endpoint(EndpointName="tmpdir-ep")
    assert gone(proc, 10)
    assert set(model_copies(localstack)) - before == set()
    assert list((localstack.settings.state_dir / "tmp").glob("scones-endpoint-tmpdir-ep-*")) == []


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_localstack_stops__no_unpacked_model_left(tmp_path: Path, how: str) -> None:
    """SIGTERM: LocalStack stops its stand-ins and deletes their folders. SIGKILL: LocalStack cannot, but each
    stand-in notices its parent is gone, exits, and deletes its unpacked model itself."""
    handle = start_stack(tmp_path / "stack")
    try:
        procs = deploy_tiny(handle, tmp_path, ["bye"])
        assert len(model_copies(handle)) == 1
        localstack = psutil.Process(handle.state.pid)
        os.kill(localstack.pid, signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        localstack.wait(timeout=30)
        assert gone(procs["bye"], 10)
    finally:
        handle.stop()
    assert model_copies(handle) == set()
