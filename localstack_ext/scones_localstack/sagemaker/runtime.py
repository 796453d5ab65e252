"""SageMaker Runtime: InvokeEndpoint (and its response-stream variant) passed byte for byte to the stand-in.

Why a dumb passthrough: the stand-in owns the wire behaviour (ModelError shapes, the invoked-variant header,
data capture, size limits), so the gateway must not re-serialize anything. The runtime only adds what only it
can know: "endpoint not found", a timeout as SageMaker reports it, and waiting out a restart or a swap; and,
before any of that, what AWS checks first: the input's constraints (validation.py), so an invalid request is
refused the same whether or not a stand-in serves the name.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any, cast

import requests
from localstack.aws.api import CommonServiceException, RequestContext
from localstack.http import Response
from requests.adapters import HTTPAdapter
from rolo.request import get_raw_path

from .lifecycle import find_endpoint, get_lifecycle
from .processes import REGISTRY, Key
from .validation import check_request

LOG = logging.getLogger(__name__)
CONNECT_TIMEOUT = 2.0
# Response headers that belong to the hop, not to the payload; the gateway sets its own.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


class EndpointNotFound(CommonServiceException):
    """InvokeEndpoint on a name with no serving process, with SageMaker's exact wording."""

    def __init__(self, name: str, account_id: str) -> None:
        super().__init__("ValidationError", f"Endpoint {name} of account {account_id} not found.", 400, True)


class EndpointUnavailable(CommonServiceException):
    """The stand-in is down and no restart brought it back in time; retriable (botocore retries 503s)."""

    def __init__(self, name: str, account_id: str) -> None:
        super().__init__(
            "ServiceUnavailable",
            f"Endpoint {name} of account {account_id} is restarting its model container; retry the request.",
            503,
        )


class RequestTimeout(CommonServiceException):
    """The request body did not arrive in time: AWS's common error for it (every API reference's "Common
    Errors", e.g. https://docs.aws.amazon.com/mgn/latest/APIReference/CommonErrors.html), as the stand-in."""

    def __init__(self) -> None:
        super().__init__(
            "RequestTimeoutException",
            "Problems with the request at the HTTP level. Reading the Request timed out.",
            408,
        )


def read_body(request: Any, timeout: float) -> bytes:
    """The request body, or RequestTimeout when it has not arrived within ``timeout`` seconds.

    Under twisted (LocalStack's default server, the one scones runs) the application is only called once
    the whole body is in, so reading it cannot block; an in-memory body (LocalStack's internal clients)
    cannot either. Any other server may hand over a body still arriving: then it is read by a helper
    thread, so a lying Content-Length costs that thread, never the gateway's request thread.
    """
    stream = request.environ.get("wsgi.input")
    if stream is None or isinstance(stream, io.BytesIO) or type(stream).__module__.startswith("twisted."):
        return bytes(request.get_data())
    box: list[bytes] = []
    reader = threading.Thread(
        target=lambda: box.append(request.get_data()), name="scones-sagemaker-body", daemon=True
    )
    reader.start()
    reader.join(timeout)
    if not box:
        raise RequestTimeout()
    return box[0]


def forwarded_headers(headers: Any) -> dict[str, str]:
    """Only the API's headers reach the container, as SageMaker strips all other POST headers."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in ("content-type", "accept") or lower.startswith("x-amzn-sagemaker-"):
            out[name] = value
    return out


def response_headers(upstream: requests.Response, request_id: str) -> list[tuple[str, str]]:
    headers = [(k, v) for k, v in upstream.raw.headers.items() if k.lower() not in HOP_HEADERS]
    if not any(k.lower() == "x-amzn-requestid" for k, _ in headers):
        headers.append(("x-amzn-RequestId", request_id))
    return headers


def timeout_model_error(name: str, account_id: str, region: str, seconds: float, request_id: str) -> Response:
    """A 424 ModelError worded as SageMaker words a container that did not answer within 60 s."""
    original = (
        "Your invocation timed out while waiting for a response from container primary. Review the latency "
        "metrics for each container in Amazon CloudWatch, resolve the issue, and try again."
    )
    log_group = f"/aws/sagemaker/Endpoints/{name}"
    body = {
        "ErrorCode": "SERVER_ERROR_FROM_MODEL",
        "Message": (
            f'Received server error (0) from primary with message "{original}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:"
            f"group={log_group} in account {account_id} for more information."
        ),
        "OriginalMessage": original,
        "OriginalStatusCode": 0,
        "LogStreamArn": f"arn:aws:logs:{region}:{account_id}:log-group:{log_group}",
    }
    LOG.info("invocation of %s timed out after %s s", name, seconds)
    return Response(
        json.dumps(body),
        424,
        headers={
            "Content-Type": "application/json",
            "x-amzn-ErrorType": "ModelError:http://internal.amazon.com/coral/com.amazonaws.sagemaker/",
            "x-amzn-RequestId": request_id,
        },
    )


class SageMakerRuntime:
    service = "sagemaker-runtime"

    def __init__(self) -> None:
        self.lifecycle = get_lifecycle()
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """One keep-alive session per gateway thread; trust_env=False so no proxy ever captures 127.0.0.1."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
            session.mount("http://", adapter)
            self._local.session = session
        return session

    def _port(self, key: Key) -> int:
        if find_endpoint(key) is None:
            raise EndpointNotFound(key[2], key[0])
        port = REGISTRY.active_port(key)
        if port is None:  # Creating, Failed, or its process is gone for good
            raise EndpointNotFound(key[2], key[0])
        return port

    def _post(self, context: RequestContext, key: Key, stream: bool) -> requests.Response:
        port = self._port(key)
        path = get_raw_path(context.request)
        body = read_body(context.request, self.lifecycle.settings.body_timeout)
        headers = forwarded_headers(context.request.headers)
        timeout = (CONNECT_TIMEOUT, self.lifecycle.settings.invoke_timeout)
        for _attempt in range(3):
            try:
                return self.session.post(
                    f"http://127.0.0.1:{port}{path}",
                    data=body,
                    headers=headers,
                    timeout=timeout,
                    stream=stream,
                )
            except requests.ConnectionError:
                # Refused: swapped out (blue/green) or dead. The supervisor acts now; follow the new port.
                self.lifecycle.check(key)
                new_port = REGISTRY.wait_for_new_port(key, port, self.lifecycle.settings.restart_wait)
                if new_port is None:
                    break
                port = new_port
        if find_endpoint(key) is None or REGISTRY.entry(key) is None:
            raise EndpointNotFound(key[2], key[0])
        raise EndpointUnavailable(key[2], key[0])

    def invoke(self, context: RequestContext, request: Mapping[str, Any], stream: bool) -> Response:
        check_request(context.operation, request)  # AWS validates before it looks anything up
        key = (context.account_id, context.region, request["EndpointName"])
        request_id = cast(str, context.request_id)  # Optional in the annotation; __init__ always sets one
        try:
            upstream = self._post(context, key, stream)
        except requests.exceptions.ReadTimeout:
            return timeout_model_error(
                key[2], key[0], key[1], self.lifecycle.settings.invoke_timeout, request_id
            )
        headers = response_headers(upstream, request_id)
        if not stream:
            return Response(upstream.content, upstream.status_code, headers=headers)
        return Response(_chunks(upstream), upstream.status_code, headers=headers)

    def invoke_endpoint(self, context: RequestContext, request: Mapping[str, Any]) -> Response:
        return self.invoke(context, request, stream=False)

    def invoke_endpoint_with_response_stream(
        self, context: RequestContext, request: Mapping[str, Any]
    ) -> Response:
        return self.invoke(context, request, stream=True)


def _chunks(upstream: requests.Response) -> Iterator[bytes]:
    """Event-stream chunks as they arrive (no buffering), the upstream connection released at the end.

    ``read1`` rather than ``raw.stream(4096)``: on a response framed by closing the connection (no
    Content-Length, not chunked) ``stream`` blocks until 4096 bytes or EOF, which holds small events back.
    """
    try:
        yield from iter(lambda: upstream.raw.read1(4096, decode_content=False), b"")
    finally:
        upstream.close()
