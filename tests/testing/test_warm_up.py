"""The test process's warm-up while its stack starts (scones.testing.warm_up): the session's clients come
from the warmed boto3 session, and a warm-up that fails never fails the start."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scones.stack.process import health
from scones.testing.stack import LocalStackHandle, start_stack
from scones.testing.warm_up import CLIENTS, HarnessWarmUp
from scones.workflow.clients import Clients


def test_warm_up__builds_every_deploy_client_without_sending_a_request() -> None:
    """No stack listens on port 9 (discard): building clients never connects, so the warm-up completes."""
    warm_up = HarnessWarmUp()
    warm_up.run("http://127.0.0.1:9")
    session = warm_up.session(timeout=0)
    assert warm_up.error is None and session is not None
    loader = session._session.get_component("data_loader")  # botocore's loader caches each model it read
    loaded = {key[1] for key in loader._cache if key[0] == "load_service_model"}
    assert {"sts", "iam", "s3", "lambda", "sagemaker", "stepfunctions", "logs"} <= loaded
    assert len(CLIENTS) == 6


def test_warm_up__a_failure_leaves_no_session_and_says_why() -> None:
    warm_up = HarnessWarmUp()
    warm_up.run("not a url")  # botocore refuses the endpoint: ValueError
    assert warm_up.session(timeout=0) is None
    assert isinstance(warm_up.error, ValueError)


@pytest.mark.integration
def test_scones_clients__come_from_the_session_warmed_while_the_stack_started(
    scones_stack: LocalStackHandle, scones_clients: Clients
) -> None:
    assert scones_stack.boto3_session is not None
    assert scones_clients.session is scones_stack.boto3_session
    assert scones_clients.sts.get_caller_identity()["Account"]


@pytest.mark.integration
def test_start_stack__runs_during_start_beside_it(tmp_path: Path) -> None:
    """``during_start`` gets the endpoint URL while LocalStack starts (before it answers) and has ended
    when start_stack returns."""
    seen: list[tuple[str, bool]] = []
    ended = threading.Event()

    def beside(url: str) -> None:
        seen.append((url, health(url, timeout=0.5) is None))
        time.sleep(0.2)
        ended.set()

    handle = start_stack(tmp_path, during_start=beside)
    try:
        assert seen == [(handle.endpoint_url, True)]
        assert ended.is_set()
    finally:
        handle.stop()
