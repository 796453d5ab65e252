"""LocalStack's twisted gateway, made safe to run on a developer's machine.

Two changes to `localstack.runtime.server.twisted.TwistedRuntimeServer.register` (LocalStack 2026.3.0),
installed by a runtime hook before the gateway starts:

1. **Bind exactly the configured host.** Upstream listens on every IPv4 interface whatever host
   GATEWAY_LISTEN names (`TCP4ServerEndpoint(reactor, port)`, "TODO: interface = host?"). Our process
   Lambda executor runs whatever code a CreateFunction sends as a host process, so a gateway on 0.0.0.0
   lets anyone on the same network run code on the developer's laptop. Here the host is passed as the
   endpoint's interface: `scones up` (127.0.0.1) is reachable from this machine only, the compose image
   (0.0.0.0 inside its container, published to 127.0.0.1) keeps listening on its container network.
   LocalStack's hypercorn server honours the host too, but twisted is the faster of the two
   (benchmarks/bench_gateway.py), so scones keeps twisted and fixes the bind.

2. **A request-read timeout.** A client that stops sending before its request is complete, typically a
   `Content-Length` that promises more bytes than it sends, held its connection until it gave up. S3
   answers that case with 400 `RequestTimeout` "Your socket connection to the server was not read from or
   written to within the timeout period." and closes the connection
   (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html, error code list; the AWS SDK
   team on the cause: https://github.com/aws/aws-sdk-js/issues/281). So does this gateway, after
   SCONES_GATEWAY_BODY_TIMEOUT_S seconds (default 5, 0 turns it off) without a byte of an unfinished
   request. It is an inactivity timeout, like S3's: a slow upload that keeps sending is never cut.
   The error is shaped for the request's protocol (JSON, query XML, S3/rest-xml XML) so that every AWS
   SDK reads the code `RequestTimeout`, which they retry as a transient error (botocore
   `retries/standard.py` `TransientRetryableChecker._TRANSIENT_ERROR_CODES`, `data/_retry.json` s3
   `timeouts` policy). HTTP/2 connections are not covered (no AWS SDK speaks HTTP/2 to these services
   over cleartext).

Requests being processed, and idle keep-alive connections between requests, are left to twisted's own
timeouts as before.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from scones_localstack.config import GATEWAY_BODY_TIMEOUT as ENV_BODY_TIMEOUT

LOG = logging.getLogger(__name__)

DEFAULT_BODY_TIMEOUT_S = 5.0

TIMEOUT_CODE = "RequestTimeout"
TIMEOUT_MESSAGE = (
    "Your socket connection to the server was not read from or written to within the timeout period."
    " Idle connections will be closed."
)


@dataclass(frozen=True)
class GatewaySettings:
    """The gateway's settings, read once when the hook installs the patch."""

    body_timeout_s: float | None = DEFAULT_BODY_TIMEOUT_S  # None: no request-read timeout

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> GatewaySettings:
        """An invalid value is logged and replaced by the default: the bind fix must install regardless."""
        env = os.environ if environ is None else environ
        raw = env.get(ENV_BODY_TIMEOUT, "").strip()
        if not raw:
            return cls()
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if value < 0 or value != value:  # negative or NaN
            LOG.warning(
                "%s=%r is not a number of seconds >= 0; using %s",
                ENV_BODY_TIMEOUT,
                raw,
                DEFAULT_BODY_TIMEOUT_S,
            )
            return cls()
        return cls(body_timeout_s=value or None)


def timeout_response(headers: dict[str, str]) -> bytes:
    """The complete HTTP/1.1 400 RequestTimeout response for a request with these (lower-cased) headers.

    The body follows the request's protocol so the SDK's parser finds the code: JSON for the JSON
    protocols (X-Amz-Target or a JSON content type; rest-json reads x-amzn-ErrorType), the query
    protocol's ErrorResponse for form-encoded requests, S3's Error document otherwise (rest-xml).
    """
    request_id = str(uuid.uuid4())
    content_type = headers.get("content-type", "")
    if "x-amz-target" in headers or "json" in content_type:
        body = json.dumps({"__type": TIMEOUT_CODE, "message": TIMEOUT_MESSAGE}).encode()
        response_type = content_type if "json" in content_type else "application/x-amz-json-1.1"
    elif content_type.startswith("application/x-www-form-urlencoded"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{TIMEOUT_CODE}</Code>"
            f"<Message>{escape(TIMEOUT_MESSAGE)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        response_type = "text/xml"
    else:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{TIMEOUT_CODE}</Code><Message>{escape(TIMEOUT_MESSAGE)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        response_type = "application/xml"
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        f"Content-Type: {response_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        f"x-amzn-RequestId: {request_id}\r\n"
        f"x-amz-request-id: {request_id}\r\n"
        f"x-amzn-ErrorType: {TIMEOUT_CODE}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def _channel_class(body_timeout_s: float | None) -> type:
    """rolo's HTTP/1.1 channel with the request-read timer (built late: twisted imports stay in the hook)."""
    from rolo.serving.twisted import HeaderPreservingHTTPChannel
    from twisted.internet.protocol import connectionDone
    from twisted.python.failure import Failure

    class RequestTimeoutHTTPChannel(HeaderPreservingHTTPChannel):
        """Arms a timer on the first byte of a request, re-arms it on every byte until the request is
        complete (`allContentReceived`), answers 400 RequestTimeout and closes when it fires."""

        bodyTimeout = body_timeout_s
        _readTimer: Any = None

        def dataReceived(self, data: bytes) -> None:
            # While a request is being handled, further bytes are buffered by twisted for the next one
            # and replayed through dataReceived once the response is done: the timer starts then.
            if self.bodyTimeout and not self._handlingRequest:
                self._armReadTimer()
            super().dataReceived(data)

        def allContentReceived(self) -> None:
            self._cancelReadTimer()
            super().allContentReceived()

        def connectionLost(self, reason: Failure = connectionDone) -> None:
            self._cancelReadTimer()
            super().connectionLost(reason)

        def _armReadTimer(self) -> None:
            if self._readTimer is not None and self._readTimer.active():
                self._readTimer.reset(self.bodyTimeout)
            else:
                self._readTimer = self.callLater(self.bodyTimeout, self._readTimedOut)

        def _cancelReadTimer(self) -> None:
            if self._readTimer is not None and self._readTimer.active():
                self._readTimer.cancel()
            self._readTimer = None

        def _readTimedOut(self) -> None:
            self._readTimer = None
            if self._handlingRequest or self.transport is None:
                return
            headers: dict[str, str] = {}
            if self.requests:
                for name, values in self.requests[-1].requestHeaders.getAllRawHeaders():
                    headers[name.decode("latin-1").lower()] = values[-1].decode("latin-1")
            LOG.info(
                "request not complete after %s s of silence, answering 400 RequestTimeout", self.bodyTimeout
            )
            # twisted's zope interfaces declare methods without self; mypy reads them right only with the
            # mypy-zope plugin (not used), here and for the implementers passed below.
            self.transport.write(timeout_response(headers))  # type: ignore[call-arg, misc]
            # As twisted's own idle timeout does: close after the write, abort if the client won't read it.
            if self.abortTimeout is not None:
                self._abortingCall = self.callLater(self.abortTimeout, self.forceAbortClient)
            self.loseConnection()

    return RequestTimeoutHTTPChannel


def _register(self: Any, gateway: Any, listen: list[Any], ssl_creds: tuple[str, str] | None = None) -> None:
    """`TwistedRuntimeServer.register` of LocalStack 2026.3.0 with the two changes of this module."""
    from localstack import config
    from localstack.aws.serving.twisted import TLSMultiplexerFactory
    from rolo.serving.twisted import PriorKnowledgeHTTPChannelProtocol, TwistedGateway
    from twisted.internet import endpoints, reactor, ssl

    site = TwistedGateway(gateway)
    channel_class = _channel_class(SETTINGS.body_timeout_s)
    # As LocalStack's own register does: the site builds each connection's protocol with this factory.
    site.protocol = lambda: PriorKnowledgeHTTPChannelProtocol(channel_class())  # type: ignore[method-assign]

    protocol_factory: Any = site
    if ssl_creds:
        cert_file_name, key_file_name = ssl_creds
        context_factory = ssl.DefaultOpenSSLContextFactory(key_file_name, cert_file_name)
        context_factory.getContext().use_certificate_chain_file(cert_file_name)
        protocol_factory = TLSMultiplexerFactory(context_factory, False, site)  # type: ignore[arg-type]

    for host_and_port in listen:
        endpoint: Any
        if config.is_ipv6_address(host_and_port.host):
            endpoint = endpoints.TCP6ServerEndpoint(reactor, host_and_port.port, interface=host_and_port.host)
        else:
            # "" keeps twisted's default (every interface); any other host is bound as given.
            endpoint = endpoints.TCP4ServerEndpoint(reactor, host_and_port.port, interface=host_and_port.host)
        endpoint.listen(protocol_factory)


SETTINGS = GatewaySettings()


def install() -> None:
    """Replace the twisted server's register (idempotent); read the settings now, once."""
    global SETTINGS
    from localstack.runtime.server.twisted import TwistedRuntimeServer

    SETTINGS = GatewaySettings.from_env()
    TwistedRuntimeServer.register = _register  # type: ignore[method-assign]
