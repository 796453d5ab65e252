"""The endpoint's HTTP faces (Starlette): SageMaker Runtime's InvokeEndpoint and the BYOC container contract.

Routes (they do not collide, so one port serves both):

* ``POST /endpoints/{EndpointName}/invocations`` - what boto3's ``sagemaker-runtime`` client sends. Errors are
  the runtime API's: ValidationError 400, ModelError 424 wrapping the model's own status,
  ModelNotReadyException 429, InternalFailure 500, each with ``x-amzn-ErrorType`` and a JSON body, exactly
  as botocore parses them.
* ``POST /invocations`` and ``GET /ping`` - the container contract, so the same image runs on real SageMaker.
  Here a model error is answered with the model's own status (400/406/415), which SageMaker itself wraps.

Inference runs in worker threads bounded by a CapacityLimiter (never on the event loop); capture records are
built in the same worker and only queued, so capture never delays the response.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local_endpoint.artifact import fetch_model_data
from local_endpoint.capture import Capturer, make_capturer
from local_endpoint.errors import (
    EndpointError,
    EndpointNotFoundError,
    InternalFailureError,
    ModelError,
    ModelNotReadyError,
    PayloadTooLargeError,
    RequestTimeoutError,
    UnknownVariantError,
    UnsupportedAcceptError,
    UnsupportedContentTypeError,
)
from local_endpoint.model import Classifier
from local_endpoint.settings import EndpointSettings
from local_endpoint.validation import check_invoke, invoke_endpoint_constraints

log = logging.getLogger(__name__)

IMAGE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "application/x-image"})
DEFAULT_CONTENT_TYPE = "application/x-image"
JSON = "application/json"
JSONLINES = "application/jsonlines"
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.sagemaker/"
DRAIN_FACTOR = (
    4  # oversize bodies up to this multiple of the limit are drained so the client reads our answer
)

H_VARIANT = "x-Amzn-Invoked-Production-Variant"
H_CUSTOM = "X-Amzn-SageMaker-Custom-Attributes"
H_INFERENCE_ID = "X-Amzn-SageMaker-Inference-Id"
H_TARGET_VARIANT = "X-Amzn-SageMaker-Target-Variant"
DEFAULT_CAPTURE_ENDPOINT = "local-endpoint"

Loader = Callable[[EndpointSettings], Classifier]


def load_classifier(settings: EndpointSettings) -> Classifier:
    """Fetch (if s3://) and load the artifact; runs in a background thread after the server starts."""
    if settings.test_model_load_delay_s > 0:
        time.sleep(settings.test_model_load_delay_s)
    if settings.model_data_url:
        model_dir = fetch_model_data(settings.model_data_url, workdir=settings.model_workdir)
    elif settings.model_dir is not None:
        model_dir = settings.model_dir
    else:
        raise InternalFailureError("no model directory or model data URL configured")
    return Classifier(model_dir, intra_op_threads=settings.intra_op_threads, inter_op_threads=1)


@dataclass
class EndpointState:
    settings: EndpointSettings
    classifier: Classifier | None = None
    load_error: str | None = None
    capturer: Capturer | None = None
    limiter: anyio.CapacityLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = anyio.CapacityLimiter(self.settings.max_concurrency)


def negotiate_content_type(header: str | None) -> str:
    """The request's media type, or UnsupportedContentTypeError (the model's 415)."""
    if header is None or not header.strip():
        return DEFAULT_CONTENT_TYPE
    base = header.split(";", 1)[0].strip().lower()
    if base not in IMAGE_CONTENT_TYPES:
        raise UnsupportedContentTypeError(
            f"Content type {header} is not supported by this algorithm; "
            f"use one of {', '.join(sorted(IMAGE_CONTENT_TYPES))}."
        )
    return base


def negotiate_accept(header: str | None) -> str:
    """JSON for no Accept, ``*/*``, ``application/*`` or JSON; JSON Lines if asked; else the model's 406."""
    if header is None or not header.strip():
        return JSON
    for item in header.split(","):
        base = item.split(";", 1)[0].strip().lower()
        if base in (JSON, "*/*", "application/*"):
            return JSON
        if base in (JSONLINES, "application/jsonl"):
            return JSONLINES
    raise UnsupportedAcceptError(f"Accept type {header} is not supported; use {JSON} or {JSONLINES}.")


def encode_response(probabilities: list[float], accept: str) -> bytes:
    if accept == JSONLINES:
        return json.dumps({"prediction": probabilities}).encode()
    return json.dumps(probabilities).encode()  # "[0.02, 0.98]": the built-in algorithm's ", " spacing


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refusing more than ``limit`` bytes without ever holding more than that, and
    RequestTimeoutError when the whole body has not arrived within ``timeout`` seconds (a client whose
    Content-Length promises more than it sends must not hold the connection)."""
    try:
        with anyio.fail_after(timeout):
            return await _read_body(request, limit)
    except TimeoutError:
        raise RequestTimeoutError() from None


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        if int(declared) <= limit * DRAIN_FACTOR:
            async for _ in request.stream():  # drain, keep nothing: the client then reads our 400
                pass
        raise PayloadTooLargeError(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(
    exc: EndpointError, state: EndpointState, *, endpoint_name: str, container: bool
) -> Response:
    if container and isinstance(exc, ModelError):
        return JSONResponse({"message": exc.message}, status_code=exc.original_status)
    if isinstance(exc, ModelError):
        body = exc.wrapped(
            endpoint_name=endpoint_name, region=state.settings.region, account_id=state.settings.account_id
        )
    else:
        body = exc.body()
    headers = {"x-amzn-ErrorType": exc.code + ERROR_TYPE_SUFFIX}
    if isinstance(exc, RequestTimeoutError):
        headers["Connection"] = "close"  # the rest of the body may still come: this connection is done
    return JSONResponse(body, status_code=exc.status, headers=headers)


def _predict_and_capture(
    state: EndpointState,
    classifier: Classifier,
    body: bytes,
    *,
    content_type: str,
    accept: str,
    received: datetime,
    inference_id: str | None,
) -> bytes:
    """Runs in a worker thread: decode, infer, encode, and queue the capture record."""
    probabilities = classifier.predict(body, max_pixels=state.settings.max_pixels)
    payload = encode_response(probabilities, accept)
    capturer = state.capturer
    if capturer is not None and capturer.should_sample():
        try:
            capturer.capture(
                input_content_type=content_type,
                input_body=body,
                output_content_type=accept,
                output_body=payload,
                inference_time=received,
                inference_id=inference_id,
            )
        except Exception:  # capture must never fail an invocation
            log.exception("capture failed; record dropped")
            capturer.writer.stats.dropped += 1
    return payload


async def invoke(request: Request, state: EndpointState, *, endpoint_name: str, container: bool) -> Response:
    received = datetime.now(UTC)
    settings = state.settings
    try:
        check_invoke(None if container else endpoint_name, request.headers)
        if not container:
            if settings.endpoint_name is not None and endpoint_name != settings.endpoint_name:
                raise EndpointNotFoundError(endpoint_name, settings.account_id)
            target = request.headers.get(H_TARGET_VARIANT)
            if target is not None and target != settings.variant:
                raise UnknownVariantError(target, endpoint_name)
        body = await read_body(request, settings.max_payload_bytes, settings.body_timeout_s)
        classifier = state.classifier
        if classifier is None:
            if state.load_error is not None:
                raise InternalFailureError(f"The model failed to load: {state.load_error}")
            raise ModelNotReadyError(f"Model for endpoint {endpoint_name} is not ready yet; retry shortly.")
        raw_content_type = request.headers.get("content-type")
        content_type = negotiate_content_type(raw_content_type)
        accept = negotiate_accept(request.headers.get("accept"))
        observed = raw_content_type.strip() if raw_content_type and raw_content_type.strip() else content_type
        payload = await anyio.to_thread.run_sync(
            lambda: _predict_and_capture(
                state,
                classifier,
                body,
                content_type=observed,
                accept=accept,
                received=received,
                inference_id=request.headers.get(H_INFERENCE_ID),
            ),
            limiter=state.limiter,
        )
    except EndpointError as exc:
        if exc.status >= 500:
            log.error("invocation failed: %s", exc.message)
        return error_response(exc, state, endpoint_name=endpoint_name, container=container)
    except Exception as exc:
        log.exception("unexpected failure in invocation")
        failure = InternalFailureError(f"An internal error occurred while processing the request: {exc!r}")
        return error_response(failure, state, endpoint_name=endpoint_name, container=container)
    headers = {H_VARIANT: settings.variant}
    custom = request.headers.get(H_CUSTOM)
    if custom is not None:
        headers[H_CUSTOM] = custom
    return Response(payload, media_type=accept, headers=headers)


def create_app(
    settings: EndpointSettings,
    *,
    loader: Loader = load_classifier,
    capturer: Capturer | None = None,
) -> Starlette:
    state = EndpointState(settings, capturer=capturer)

    def load_in_background() -> None:
        try:
            state.classifier = loader(settings)
            log.info("model loaded: classes=%s", list(state.classifier.metadata.classes))
        except Exception as exc:
            state.load_error = str(exc)
            log.error("model failed to load: %s", exc)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if state.capturer is None and settings.data_capture_config:
            state.capturer = make_capturer(
                settings.data_capture_config,
                endpoint=settings.endpoint_name or DEFAULT_CAPTURE_ENDPOINT,
                variant=settings.variant,
                flush_interval_s=settings.capture_flush_interval_s,
            )
        threading.Thread(target=load_in_background, name="model-loader", daemon=True).start()
        invoke_endpoint_constraints()  # a few ms: read the service model now, not on the first request
        try:
            yield
        finally:
            if state.capturer is not None:
                state.capturer.writer.close()

    async def ping(_request: Request) -> Response:
        if state.classifier is not None:
            return Response(b"", status_code=200)
        if state.load_error is not None:
            return JSONResponse({"status": "failed", "message": state.load_error}, status_code=500)
        return JSONResponse({"status": "loading", "message": "model is loading"}, status_code=503)

    async def runtime_invocations(request: Request) -> Response:
        return await invoke(request, state, endpoint_name=request.path_params["name"], container=False)

    async def container_invocations(request: Request) -> Response:
        name = settings.endpoint_name or DEFAULT_CAPTURE_ENDPOINT
        return await invoke(request, state, endpoint_name=name, container=True)

    app = Starlette(
        routes=[
            Route("/ping", ping, methods=["GET"]),
            Route("/invocations", container_invocations, methods=["POST"]),
            # ``path``, not the default segment: an empty or slash-bearing name must reach the validation.
            Route("/endpoints/{name:path}/invocations", runtime_invocations, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.endpoint = state
    return app
