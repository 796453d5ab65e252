"""SageMaker extension against LocalStack's own lifecycle: stand-ins never outlive it; slow models time out.

Each test starts its own real LocalStack (host mode, our extension) because it stops or kills it, or needs
extension settings the shared stack does not have. The timeout test uses a throwaway slow stand-in
(tests/localstack_ext/standins/slow.py, a tiny ``http.server``) because the real one has no way to be slow,
and the response-stream test a throwaway streaming stand-in (standins/streaming.py) because the real one has
no ``invocations-response-stream`` route (it stands in for a streaming model container only); everything
else uses the real ``local_endpoint``.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError

from scones import stack
from scones.stack.settings import StackSettings
from tests.helpers.localstack import LocalStackHandle
from tests.helpers.sagemaker_endpoints import NO_RETRY, deploy_tiny, gone, png_bytes
from tests.localstack_ext.standins.eventstream import event_frame
from tests.localstack_ext.standins.streaming import PACE as STREAM_PACE
from tests.localstack_ext.standins.streaming import PARTS as STREAM_PARTS

pytestmark = pytest.mark.integration

SLOW_STANDIN = f"{sys.executable} -m tests.localstack_ext.standins.slow"
STREAMING_STANDIN = f"{sys.executable} -m tests.localstack_ext.standins.streaming"


@dataclass(frozen=True)
class SettingsWithEnv(StackSettings):
    """The stack exactly as `scones up` starts it, plus extension settings under test."""

    extra_env: tuple[tuple[str, str], ...] = ()

    def localstack_environment(self, base):  # type: ignore[no-untyped-def]
        env = super().localstack_environment(base)
        env.update(dict(self.extra_env))
        return env


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[callable]:
    handles: list[LocalStackHandle] = []

    def start(**extra_env: str) -> LocalStackHandle:
        settings = SettingsWithEnv(
            port=stack.free_port(), state_root=tmp_path / "stacks", extra_env=tuple(extra_env.items())
        )
        handle = LocalStackHandle(settings, stack.start(settings))
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def test_invoke_endpoint__timeout_becomes_model_error(own_stack, tmp_path: Path):
    handle = own_stack(SCONES_ENDPOINT_CMD=SLOW_STANDIN, SCONES_ENDPOINT_INVOKE_TIMEOUT="1")
    deploy_tiny(handle, tmp_path, ["slow"])
    with pytest.raises(ClientError) as caught:
        handle.client("sagemaker-runtime", **NO_RETRY).invoke_endpoint(
            EndpointName="slow", ContentType="image/png", Body=png_bytes()
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["Error"]["Message"].startswith(
        'Received server error (0) from primary with message "Your invocation timed out while waiting for a '
        "response from container primary."
    )
    assert error["OriginalStatusCode"] == 0
    assert error["LogStreamArn"].endswith("log-group:/aws/sagemaker/Endpoints/slow")


def test_event_frame__decoded_by_botocore():
    """The streaming test's encoder is right, so a failure there is the gateway's, not the frames'."""
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(event_frame(part) for part in STREAM_PARTS))
    messages = list(buffer)
    assert [m.payload for m in messages] == list(STREAM_PARTS)
    assert all(m.headers[":event-type"] == "PayloadPart" for m in messages)
    assert all(m.headers[":message-type"] == "event" for m in messages)


def test_invoke_endpoint_with_response_stream__parts_pass_through_as_they_come(own_stack, tmp_path: Path):
    handle = own_stack(SCONES_ENDPOINT_CMD=STREAMING_STANDIN)
    deploy_tiny(handle, tmp_path, ["streamer"])
    runtime = handle.client("sagemaker-runtime", **NO_RETRY)
    request = b'{"inputs": "bytes \\x00\\xff as sent"}'

    for framing in ("chunked", "close"):  # how the container frames its body must not matter
        response = runtime.invoke_endpoint_with_response_stream(
            EndpointName="streamer",
            ContentType="application/json",
            Body=request,
            CustomAttributes=f"framing={framing}",
        )
        parts: list[bytes] = []
        arrivals: list[float] = []
        for event in response["Body"]:
            arrivals.append(time.monotonic())
            parts.append(event["PayloadPart"]["Bytes"])

        assert parts == [request, *STREAM_PARTS], framing
        assert response["ContentType"] == "application/jsonlines"
        assert response["InvokedProductionVariant"] == "AllTraffic"
        # Paced 0.2 s apart at the source: a buffering gateway would deliver them all at once at the end.
        assert arrivals[-1] - arrivals[0] >= 0.6 * STREAM_PACE * len(STREAM_PARTS), framing
        gaps = sorted(b - a for a, b in itertools.pairwise(arrivals))
        assert gaps[len(gaps) // 2] >= 0.5 * STREAM_PACE, f"{framing}: parts arrived in bursts: {gaps}"

    with pytest.raises(ClientError) as caught:
        runtime.invoke_endpoint_with_response_stream(
            EndpointName="no-such-endpoint", ContentType="application/json", Body=b"{}"
        )
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["Error"]["Message"] == "Endpoint no-such-endpoint of account 000000000000 not found."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_localstack_sigterm__stops_every_standin(own_stack, tmp_path: Path):
    handle = own_stack()
    procs = deploy_tiny(handle, tmp_path, ["term-a", "term-b"])
    localstack = psutil.Process(handle.state.pid)
    os.kill(localstack.pid, signal.SIGTERM)
    localstack.wait(timeout=30)
    # on_before_stop stopped them before LocalStack exited: nothing is left for anyone to clean up.
    assert all(gone(p, 0.5) for p in procs.values())


def test_localstack_sigkill__standins_exit_by_themselves(own_stack, tmp_path: Path):
    handle = own_stack()
    procs = deploy_tiny(handle, tmp_path, ["killed"])
    localstack = psutil.Process(handle.state.pid)
    os.kill(localstack.pid, signal.SIGKILL)
    localstack.wait(timeout=10)  # reaped, as init would reap it after `scones up` exits
    assert gone(procs["killed"], 5), "stand-in outlived a SIGKILLed LocalStack"
