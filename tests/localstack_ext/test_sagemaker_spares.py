"""Spare stand-ins (scones_localstack/sagemaker/spares.py): LocalStack keeps one stand-in started and
imported once SageMaker is in use, and CreateEndpoint hands it the endpoint instead of starting a process.

Real LocalStack, real stand-ins, boto3 over loopback. What must hold: the endpoint behaves as with a fresh
process (same answers, TMPDIR and log named for the endpoint, credentials never in the spare's start-up
environment), a dead spare costs nothing but the speed-up, ``SCONES_ENDPOINT_SPARES=0`` turns it off, and
nothing of a spare outlives LocalStack.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psutil
import pytest

from tests.helpers.localstack import LocalStackHandle, start_stack
from tests.helpers.sagemaker_endpoints import deploy_model, gone, png_bytes, spares, standins

pytestmark = pytest.mark.integration
T = TypeVar("T")


def poll(check: Callable[[], T], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    handle = start_stack(tmp_path_factory.mktemp("spares"))
    try:
        yield handle
    finally:
        handle.stop()


def invoke(handle: LocalStackHandle, endpoint: str) -> int:
    runtime = handle.client("sagemaker-runtime", retries={"mode": "standard", "max_attempts": 1})
    answer = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="image/png", Body=png_bytes())
    return int(answer["ResponseMetadata"]["HTTPStatusCode"])


def test_create_endpoint__the_spare_serves_it_and_a_new_spare_waits(
    stack: LocalStackHandle, tmp_path: Path
) -> None:
    assert stack.state is not None
    pid = stack.state.pid
    stack.client("sagemaker").list_endpoints()  # SageMaker in use: its first request starts a spare
    (spare,) = poll(lambda: spares(pid))
    started_with = spare.environ()
    assert started_with["SCONES_ENDPOINT_HANDOFF"] == "stdin"
    assert not [k for k in started_with if k.startswith("AWS_")], "credentials come with the hand-off only"

    deploy_model(stack.client("sagemaker"), stack.client("s3"), tmp_path, "spare-model", ["spare-ep"])
    served_by = standins(pid)["spare-ep"]
    assert served_by.pid == spare.pid
    assert invoke(stack, "spare-ep") == 200
    tmp = stack.settings.state_dir / "tmp"
    assert len(list(tmp.glob("scones-endpoint-spare-ep-*"))) == 1  # its TMPDIR, named for the endpoint
    assert list((tmp / "scones-endpoints").glob("*-spare-ep-*.log"))  # and its log

    (next_spare,) = poll(lambda: spares(pid))  # refilled once the endpoint is InService
    assert next_spare.pid != spare.pid

    stack.client("sagemaker").delete_endpoint(EndpointName="spare-ep")
    assert gone(served_by, 10)
    assert list(tmp.glob("scones-endpoint-spare-ep-*")) == []


def test_a_dead_spare_costs_only_the_speed_up(stack: LocalStackHandle, tmp_path: Path) -> None:
    """A spare killed while it waits: the next CreateEndpoint starts a process as without spares, and
    LocalStack's log says the spare died."""
    assert stack.state is not None
    pid = stack.state.pid
    stack.client("sagemaker").list_endpoints()
    (spare,) = poll(lambda: spares(pid))
    os.killpg(spare.pid, signal.SIGKILL)
    assert gone(spare, 10)

    deploy_model(
        stack.client("sagemaker"),
        stack.client("s3"),
        tmp_path,
        "after-kill",
        ["after-kill-ep"],
        key="k/m.tar.gz",
    )
    served_by = standins(pid)["after-kill-ep"]
    assert served_by.environ()["SCONES_ENDPOINT_NAME"] == "after-kill-ep"  # a process started for it
    assert invoke(stack, "after-kill-ep") == 200
    log = Path(stack.state.log_file).read_text(errors="replace")
    assert "a spare stand-in exited with code -9" in log
    assert poll(lambda: spares(pid)), "a new spare after the endpoint is up"
    stack.client("sagemaker").delete_endpoint(EndpointName="after-kill-ep")


def test_spares_off__every_stand_in_is_started_for_its_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCONES_ENDPOINT_SPARES", "0")  # the shell running `scones up` (PASSED_TO_LOCALSTACK)
    handle = start_stack(tmp_path / "stack")
    try:
        assert handle.state is not None
        sm = handle.client("sagemaker")
        deploy_model(sm, handle.client("s3"), tmp_path, "no-spare", ["no-spare-ep"])
        assert standins(handle.state.pid)["no-spare-ep"].environ()["SCONES_ENDPOINT_NAME"] == "no-spare-ep"
        time.sleep(0.5)
        assert spares(handle.state.pid) == []
    finally:
        handle.stop()


def test_localstack_stops__no_spare_and_no_spare_folder_left(tmp_path: Path) -> None:
    handle = start_stack(tmp_path / "stack")
    assert handle.state is not None
    handle.client("sagemaker").list_endpoints()
    (spare,) = poll(lambda: spares(handle.state.pid))  # type: ignore[union-attr]
    handle.stop()
    assert gone(spare, 10)
    assert not psutil.pid_exists(spare.pid) or spare.status() == psutil.STATUS_ZOMBIE
    assert list((handle.settings.state_dir / "tmp").glob("scones-endpoint-spare-*")) == []
