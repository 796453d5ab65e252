"""Pure parts of the serialize step: event parsing, encoding and the payload-size guards.

Why the guards live here: this is the one step whose output grows with the image, and LocalStack enforces
neither limit below, so an oversize image must fail here, at the state where AWS fails it. The same code
runs on AWS and trips first there too, so both targets end the same way: FAILED, Error
``DataLimitExceededError``, a Cause in Step Functions' own words. (The AWS name ``States.DataLimitExceeded``
cannot be reused: custom error names must not start with ``States.``; both AWS and LocalStack turn such a
name into ``States.Runtime``.)

Errors (``errorType`` seen by Step Functions):
    SerializeImageError (base)
    ├── InvalidEventError              the event has no usable s3_bucket / s3_key
    ├── ImageNotFoundError             the S3 object (or bucket) does not exist
    ├── Function.ResponseSizeTooLarge  output above the synchronous Lambda limit (6 MB)
    └── DataLimitExceededError         output above the Step Functions state limit (256 KiB)
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

MAX_STATE_BYTES = 262_144  # Step Functions: state input/output, UTF-8 JSON
MAX_SYNC_RESPONSE_BYTES = 6_291_556  # Lambda: synchronous response payload, as Lambda reports it


class SerializeImageError(Exception):
    """Base of the errors this step raises; the class name is the Step Functions ``Error``."""


class InvalidEventError(SerializeImageError, ValueError):
    """The event does not name an S3 object (permanent: retrying the same event cannot help)."""


class ImageNotFoundError(SerializeImageError, LookupError):
    """The S3 object to serialize does not exist."""


class DataLimitExceededError(SerializeImageError):
    """The output would exceed the Step Functions state limit (256 KiB)."""


def _named(name: str, doc: str) -> type[SerializeImageError]:
    """An exception class named like an AWS error (with a dot): the runtime reports ``__name__``."""
    return type(name, (SerializeImageError,), {"__doc__": doc, "__module__": __name__})


ResponseSizeTooLarge = _named("Function.ResponseSizeTooLarge", "Lambda response above the synchronous limit.")


@dataclass(frozen=True)
class ImageRef:
    bucket: str
    key: str


def parse_event(event: Any) -> ImageRef:
    """Accept the original project's ``{"s3_bucket", "s3_key"}``, also wrapped in ``{"body": ...}``."""
    if isinstance(event, dict) and isinstance(event.get("body"), dict):
        event = event["body"]
    if not isinstance(event, dict):
        raise InvalidEventError(f"expected an object with s3_bucket and s3_key, got {type(event).__name__}")
    bucket, key = event.get("s3_bucket"), event.get("s3_key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise InvalidEventError("event must carry non-empty string fields s3_bucket and s3_key")
    return ImageRef(bucket=bucket, key=key)


def serialize(ref: ImageRef, data: bytes) -> dict[str, Any]:
    """The body the next steps read; ``inferences`` starts empty as in the original project."""
    return {
        "image_data": base64.b64encode(data).decode("ascii"),
        "s3_bucket": ref.bucket,
        "s3_key": ref.key,
        "inferences": [],
    }


def check_output_size(output: dict[str, Any], state_name: str) -> int:
    """Raise the AWS error for an output Lambda or Step Functions would refuse; return its size in bytes."""
    size = len(json.dumps(output, separators=(",", ":")).encode("utf-8"))
    if size > MAX_SYNC_RESPONSE_BYTES:
        raise ResponseSizeTooLarge(
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
            f"({MAX_SYNC_RESPONSE_BYTES} bytes)."
        )
    if size > MAX_STATE_BYTES:
        raise DataLimitExceededError(
            f"The state/task '{state_name}' returned a result with a size exceeding the maximum number of "
            f"bytes service limit ({size} > {MAX_STATE_BYTES} bytes)."
        )
    return size
