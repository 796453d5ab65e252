"""Pure parts of the classify step: event parsing, response decoding and error mapping.

Endpoint failures are mapped to named errors so the state machine can tell transient from permanent:

    ClassifyError (base)
    ├── InvalidEventError        no usable image_data in the event (permanent)
    ├── EndpointUnavailableError throttled, not ready, 5xx or unreachable (retried by the state machine)
    ├── EndpointNotFoundError    no such endpoint (retried: it may be being re-created; then fails)
    ├── PayloadTooLargeError     image above the 6 MB endpoint limit (permanent)
    └── ModelInvocationError     the model container rejected the input (424 ModelError; permanent)
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

# The variable deploy sets to the endpoint this function invokes (scones.config.LAMBDA_ENDPOINT_NAME).
ENDPOINT_NAME_VARIABLE = "ENDPOINT_NAME"
MAX_ENDPOINT_PAYLOAD_BYTES = 6_291_456  # SageMaker InvokeEndpoint request body limit

_UNAVAILABLE_CODES = frozenset(
    {
        "ModelNotReadyException",
        "ThrottlingException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalDependencyException",
        "InternalServerError",
    }
)


class ClassifyError(Exception):
    """Base of the errors this step raises; the class name is the Step Functions ``Error``."""


class InvalidEventError(ClassifyError, ValueError):
    """The event carries no usable image_data (permanent: retrying the same event cannot help)."""


class EndpointUnavailableError(ClassifyError):
    pass


class EndpointNotFoundError(ClassifyError):
    pass


class PayloadTooLargeError(ClassifyError):
    pass


class ModelInvocationError(ClassifyError):
    pass


def parse_body(event: Any) -> dict[str, Any]:
    """Return the step body; accepts it flat or wrapped in ``{"body": ...}`` (the original's shape)."""
    if isinstance(event, dict) and isinstance(event.get("body"), dict):
        event = event["body"]
    if not isinstance(event, dict) or not isinstance(event.get("image_data"), str):
        raise InvalidEventError("event must carry image_data (a base64 string), as serialize returns it")
    return event


def decode_image(body: dict[str, Any]) -> bytes:
    try:
        data = base64.b64decode(body["image_data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidEventError(f"image_data is not valid base64: {exc}") from exc
    if len(data) > MAX_ENDPOINT_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"Request payload of {len(data)} bytes exceeds the endpoint limit "
            f"of {MAX_ENDPOINT_PAYLOAD_BYTES} bytes."
        )
    return data


def parse_inferences(raw: bytes) -> list[float]:
    """The endpoint answers a JSON list of class probabilities (``{"prediction": [...]}`` also accepted)."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ModelInvocationError(f"endpoint returned non-JSON output: {raw[:200]!r}") from exc
    if isinstance(value, dict) and "prediction" in value:
        value = value["prediction"]
    if not isinstance(value, list) or not value or not all(isinstance(p, int | float) for p in value):
        raise ModelInvocationError(f"endpoint returned no probability list: {raw[:200]!r}")
    return [float(p) for p in value]


def with_inferences(body: dict[str, Any], inferences: list[float]) -> dict[str, Any]:
    return {**body, "inferences": inferences}


def map_client_error(code: str, status: int, message: str, endpoint: str) -> ClassifyError:
    """Name an InvokeEndpoint failure by what the state machine should do about it."""
    if code == "ModelError":
        return ModelInvocationError(message)
    if status == 413:
        return PayloadTooLargeError(message)
    if code in ("ValidationError", "ValidationException") and "not found" in message:
        return EndpointNotFoundError(message)
    if code in _UNAVAILABLE_CODES or status == 429 or status >= 500:
        return EndpointUnavailableError(f"endpoint {endpoint}: {code}: {message}")
    return ClassifyError(f"{code}: {message}")
