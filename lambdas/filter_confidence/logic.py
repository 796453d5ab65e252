"""Pure parts of the filter step.

Errors (``errorType`` seen by Step Functions):
    FilterConfidenceError (base)
    ├── InvalidEventError   no inferences list in the event
    └── LowConfidenceError  max(inferences) < threshold, message THRESHOLD_CONFIDENCE_NOT_MET (to review)
"""

from __future__ import annotations

from typing import Any

# The function's one setting: deploy sets it (scones/config.py LAMBDA_THRESHOLD names it on that side).
THRESHOLD_VARIABLE = "THRESHOLD"
# Ships with the function, so it cannot import the artifact contract; a test keeps it equal to
# local_endpoint.artifact.DEFAULT_THRESHOLD.
DEFAULT_THRESHOLD = 0.93
LOW_CONFIDENCE_MESSAGE = "THRESHOLD_CONFIDENCE_NOT_MET"


class FilterConfidenceError(Exception):
    """Base of the errors this step raises; the class name is the Step Functions ``Error``."""


class InvalidEventError(FilterConfidenceError, ValueError):
    """The event carries no usable inferences list (permanent: retrying the same event cannot help)."""


class LowConfidenceError(FilterConfidenceError):
    """The classifier is not sure enough; the state machine sends the item to human review."""


def parse_threshold(raw: str | None) -> float:
    """``THRESHOLD`` env value; a bad value fails the function's init loudly rather than filtering wrongly."""
    if raw is None or raw.strip() == "":
        return DEFAULT_THRESHOLD
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{THRESHOLD_VARIABLE} must be within [0, 1], got {raw!r}")
    return value


def parse_body(event: Any) -> dict[str, Any]:
    if isinstance(event, dict) and isinstance(event.get("body"), dict):
        event = event["body"]
    inferences = event.get("inferences") if isinstance(event, dict) else None
    if not isinstance(inferences, list) or not inferences:
        raise InvalidEventError("event must carry a non-empty inferences list, as classify returns it")
    if not all(isinstance(p, int | float) and not isinstance(p, bool) for p in inferences):
        raise InvalidEventError("inferences must be numbers")
    return event  # type: ignore[no-any-return]


def filter_confidence(body: dict[str, Any], threshold: float) -> dict[str, Any]:
    if max(body["inferences"]) >= threshold:
        return body
    raise LowConfidenceError(LOW_CONFIDENCE_MESSAGE)
