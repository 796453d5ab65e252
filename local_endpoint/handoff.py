"""A spare stand-in: start and import now, learn which endpoint to serve later, on standard input.

Why: most of a stand-in's start is the interpreter and its imports (uvicorn, ONNX Runtime, NumPy, Pillow,
boto3), about 0.8 s on two cores, none of which depends on the endpoint. LocalStack's SageMaker provider
keeps one process started with ``SCONES_ENDPOINT_HANDOFF=stdin`` ready (``scones_localstack/sagemaker/
spares.py``); at CreateEndpoint it writes the endpoint's whole environment to that process's standard input
as one JSON object and closes it. From then on the process is an ordinary stand-in: ``__main__`` reads its
settings from the environment it was handed. End of input with nothing on it means the spare is not needed
(LocalStack stopped or discarded it), and the process exits 0 without serving anything.

SageMaker itself never starts a container this way: the variable is unset there, and ``serve`` starts at
once as the BYOC contract says.
"""

from __future__ import annotations

import json
import logging
from typing import IO

from local_endpoint.settings import SettingsError

HANDOFF_STDIN = "stdin"  # the value of ENV_HANDOFF that asks for a hand-off
MAX_HANDOFF_BYTES = 1 << 20  # an environment is a few KiB; more is a broken writer, not a deployment


def warm_up() -> None:
    """Import what serving imports lazily, so that the hand-off is followed by work, not by imports.

    boto3 and the S3 client's modules (model download, capture upload) and uvicorn's HTTP protocol and
    event-loop modules are imported on first use; a throwaway client and config load them now. Nothing is
    resolved that depends on the environment still to come (credentials, endpoint URL, region)."""
    import boto3
    import uvicorn

    session = boto3.session.Session(aws_access_key_id="spare", aws_secret_access_key="spare")
    session.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    uvicorn.Config(app=_no_app, lifespan="on", log_config=None).load()


async def _no_app(scope: object, receive: object, send: object) -> None:
    """The ASGI app the warm-up's uvicorn config names; it is never served."""


def receive(stream: IO[bytes]) -> dict[str, str] | None:
    """The environment handed to this spare: one JSON object of strings; None at end of input.

    A malformed hand-off is a SettingsError (the process then exits 2 with the reason in its log, which
    LocalStack puts in the endpoint's FailureReason)."""
    raw = stream.read(MAX_HANDOFF_BYTES + 1)
    if not raw.strip():
        return None
    if len(raw) > MAX_HANDOFF_BYTES:
        raise SettingsError(f"the hand-off on standard input is larger than {MAX_HANDOFF_BYTES} bytes")
    try:
        env = json.loads(raw)
    except ValueError as exc:
        raise SettingsError(f"the hand-off on standard input is not JSON: {exc}") from exc
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise SettingsError("the hand-off on standard input must be a JSON object of strings")
    logging.getLogger("local_endpoint").debug("received a hand-off of %d variables", len(env))
    return env
