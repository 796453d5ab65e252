"""AWS Lambda's Invoke payload limits, enforced at LocalStack's Lambda ``Invoke`` for every caller.

Why: LocalStack accepts Invoke requests of any size and returns responses of any size. Its one knob,
``LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES``, only reaches the Docker executor's Go init (as
``LOCALSTACK_MAX_PAYLOAD_SIZE``, which checks responses); with the process executor nothing checks either
direction, so code that passes here could fail on AWS. The check sits on the provider's ``Invoke``, which
every client reaches: boto3 and the AWS CLI over HTTP, Step Functions' ``lambda:invoke`` and other services
through LocalStack's internal clients. It does not depend on what runs the function.

AWS's limits (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, botocore's lambda model):
- a request body over 6 MB (6,291,456 bytes), any invocation type: HTTP 413
  ``RequestEntityTooLargeException`` "Request must be smaller than 6291456 bytes for the InvokeFunction
  operation";
- an ``Event`` payload over 1 MB (1,048,576 bytes; 256 KB before October 2025): HTTP 413
  ``RequestEntityTooLargeException`` "<n> byte payload is too large for the Event invocation type (limit
  1048576 bytes)";
- a synchronous response over 6,291,556 bytes: HTTP 200, ``FunctionError: Unhandled`` and the
  ``Function.ResponseSizeTooLarge`` error as payload, never the (truncated) response. The response limit is
  LocalStack's ``LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES`` (default 6,291,556), so raising it there
  raises it for every executor alike.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from typing import Any

MAX_REQUEST_BYTES = 6_291_456
MAX_EVENT_PAYLOAD_BYTES = 1_048_576
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"
_MARK = "_scones_lambda_limits"


def request_error(size: int, invocation_type: str | None) -> str | None:
    """AWS's message for an Invoke request of ``size`` bytes, or None if AWS accepts it."""
    if size > MAX_REQUEST_BYTES:
        return f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the InvokeFunction operation"
    if invocation_type == "Event" and size > MAX_EVENT_PAYLOAD_BYTES:
        return (
            f"{size} byte payload is too large for the Event invocation type "
            f"(limit {MAX_EVENT_PAYLOAD_BYTES} bytes)"
        )
    return None


def response_error(size: int, limit: int) -> bytes | None:
    """The function error AWS returns in place of a synchronous response of ``size`` bytes, or None."""
    if size <= limit:
        return None
    message = f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
    return json.dumps({"errorMessage": message, "errorType": RESPONSE_TOO_LARGE}).encode()


def _payload_bytes(payload: Any) -> bytes:
    """The request body as bytes: LocalStack hands the provider a stream (or bytes, or nothing)."""
    if payload is None:
        return b""
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    return bytes(payload.read())


def limited(
    invoke: Callable[..., Any], response_limit: int, too_large: Callable[[str], Exception]
) -> Callable[..., Any]:
    """Wraps ``LambdaProvider.invoke``: refuse oversized requests before anything runs (raising
    ``too_large(message)``), replace oversized synchronous responses by AWS's function error."""

    @functools.wraps(invoke)
    def wrapper(self: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        invocation_type = kwargs.get("invocation_type")
        raw = kwargs.get("payload")
        body = _payload_bytes(raw)
        if message := request_error(len(body), invocation_type):
            raise too_large(message)
        if raw is not None:  # no payload stays no payload: LocalStack then sends the function {}
            kwargs["payload"] = io.BytesIO(body)
        response = invoke(self, context, *args, **kwargs)
        if invocation_type in (None, "RequestResponse"):
            payload = response.get("Payload") or b""
            size = len(payload.encode() if isinstance(payload, str) else payload)
            if error := response_error(size, response_limit):
                response["Payload"] = error
                response["FunctionError"] = "Unhandled"
        return response

    setattr(wrapper, _MARK, True)
    return wrapper


def install() -> None:
    """Idempotent; patches the provider class before LocalStack builds its dispatch table from it."""
    from localstack import config
    from localstack.services.lambda_.invocation.lambda_models import RequestEntityTooLargeException
    from localstack.services.lambda_.provider import LambdaProvider

    if not getattr(LambdaProvider.invoke, _MARK, False):
        limit = int(config.LAMBDA_LIMITS_MAX_FUNCTION_PAYLOAD_SIZE_BYTES)
        wrapper = limited(LambdaProvider.invoke, limit, RequestEntityTooLargeException)
        setattr(LambdaProvider, "invoke", wrapper)  # noqa: B010 (mypy: cannot assign to a method)
