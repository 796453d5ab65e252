"""Parse SageMaker Model Monitor data-capture lines into typed records, one line at a time.

Pure functions over text: no I/O, so every rule here is unit-tested on strings. The format is the one real
SageMaker endpoints write (design §4, sagemaker.md §3): one JSON object per line, several lines per file.
A line that does not fit becomes a `MalformedLine` with the reason, never an exception that stops the run,
because one bad line must not hide the thousands of good ones around it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Where a latency would be if the writer records one (real SageMaker does not; our stand-in may add it).
# Milliseconds, a number, under eventMetadata; the first key present wins.
LATENCY_KEYS = ("modelLatencyMs", "latencyMs")


@dataclass(frozen=True)
class CaptureRecord:
    """What the report needs from one captured invocation (the input image is dropped on parse)."""

    inference_time: datetime  # UTC, timezone-aware
    event_id: str
    probabilities: tuple[float, ...] | None  # None when the output was not captured (CaptureMode Input)
    source: str  # file path or s3 key it came from
    line: int  # 1-based line number in that file
    inference_id: str | None = None
    latency_ms: float | None = None

    @property
    def confidence(self) -> float | None:
        """The max probability: what the workflow compares with the threshold."""
        return max(self.probabilities) if self.probabilities else None

    @property
    def predicted(self) -> int | None:
        """Index of the most probable class (first one on ties, like numpy.argmax)."""
        if not self.probabilities:
            return None
        return max(range(len(self.probabilities)), key=self.probabilities.__getitem__)


@dataclass(frozen=True)
class MalformedLine:
    """A line that could not be read as a capture record, and why."""

    source: str
    line: int
    reason: str


class _Bad(Exception):
    """Internal: carries the reason a line is malformed up to `parse_line`."""


def parse_inference_time(value: Any) -> datetime:
    """`2024-10-15T14:05:12Z` (SageMaker's form); fractional seconds and offsets are tolerated."""
    if not isinstance(value, str):
        raise _Bad("eventMetadata.inferenceTime is missing or not a string")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"eventMetadata.inferenceTime {value[:40]!r} is not an ISO-8601 time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # SageMaker writes UTC; a bare time is read as UTC too
    return when.astimezone(UTC)


def _payload_text(payload: Mapping[str, Any]) -> str:
    data = payload.get("data")
    if not isinstance(data, str):
        raise _Bad("endpointOutput.data is missing or not a string")
    encoding = payload.get("encoding")
    if encoding in ("JSON", "CSV"):
        return data
    if encoding == "BASE64":
        try:
            return base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _Bad("endpointOutput.data is not base64 of UTF-8 text") from None
    raise _Bad(f"endpointOutput.encoding {encoding!r} is not JSON, CSV or BASE64")


def parse_probabilities(payload: Mapping[str, Any]) -> tuple[float, ...]:
    """The endpoint's response: a JSON list of class probabilities (or the same numbers as CSV)."""
    text = _payload_text(payload).strip()
    values: Any
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        values = text.split(",")  # text/csv responses: "0.2,0.8"
    if isinstance(values, list) and len(values) == 1 and isinstance(values[0], list):
        values = values[0]  # a batch of one
    if not isinstance(values, list) or not values:
        raise _Bad("endpointOutput.data is not a non-empty list of probabilities")
    try:
        probs = tuple(float(v) for v in values if not isinstance(v, bool))
    except (TypeError, ValueError):
        raise _Bad("endpointOutput.data holds a value that is not a number") from None
    if len(probs) != len(values) or not all(math.isfinite(p) for p in probs):
        raise _Bad("endpointOutput.data holds a value that is not a finite number")
    return probs


def _latency(metadata: Mapping[str, Any]) -> float | None:
    for key in LATENCY_KEYS:
        value = metadata.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    return None


def parse_line(text: str, *, source: str, line: int) -> CaptureRecord | MalformedLine:
    """One capture line → a record, or the reason it is not one."""
    try:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Bad(f"not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise _Bad("not a JSON object")
        capture = obj.get("captureData")
        metadata = obj.get("eventMetadata")
        if not isinstance(capture, dict):
            raise _Bad("captureData is missing or not an object")
        if not isinstance(metadata, dict):
            raise _Bad("eventMetadata is missing or not an object")
        output = capture.get("endpointOutput")
        if output is not None and not isinstance(output, dict):
            raise _Bad("captureData.endpointOutput is not an object")
        inference_id = metadata.get("inferenceId")
        return CaptureRecord(
            inference_time=parse_inference_time(metadata.get("inferenceTime")),
            event_id=str(metadata.get("eventId", "")),
            probabilities=parse_probabilities(output) if output is not None else None,
            source=source,
            line=line,
            inference_id=inference_id if isinstance(inference_id, str) else None,
            latency_ms=_latency(metadata),
        )
    except _Bad as exc:
        return MalformedLine(source, line, str(exc))


def parse_file(content: bytes, source: str) -> Iterator[CaptureRecord | MalformedLine]:
    """Every line of one capture file (not just the first, which is all the original notebook read)."""
    for number, raw in enumerate(content.split(b"\n"), start=1):
        if not raw.strip():
            continue  # the final newline, or blank lines: nothing was captured there
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield MalformedLine(source, number, "not UTF-8 text")
            continue
        yield parse_line(text, source=source, line=number)
