"""SageMaker Model Monitor data capture: record format, sampling, and a buffered sink (S3 or a directory).

The record format matches real captures byte for byte in layout (../shared/data/sagemaker-capture/): compact
JSON, keys in SageMaker's order, ``inferenceTime`` at second precision with ``Z``, JSON content types captured
as text with encoding JSON, CSV ones as CSV, everything else BASE64. Files land under
``{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/{MM-SS-mmm}-{uuid}.jsonl``.

Capture must never slow or fail an invocation: ``submit`` only appends to an in-memory buffer; a background
thread writes on an interval or when enough records wait, and ``close`` writes the rest (a clean stop loses
nothing). A sink failure or a full buffer drops records, which are counted and logged, never raised.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

log = logging.getLogger(__name__)


class CaptureConfigError(ValueError):
    """DataCaptureConfig is malformed (start-up error, like the API's ValidationException)."""


@dataclass(frozen=True)
class CaptureConfig:
    destination: str
    sampling_percentage: float = 100.0
    enabled: bool = True
    capture_input: bool = True
    capture_output: bool = True
    json_content_types: frozenset[str] = frozenset()
    csv_content_types: frozenset[str] = frozenset()

    @classmethod
    def from_api(cls, config: Mapping[str, Any]) -> CaptureConfig:
        """Parse the API's DataCaptureConfig shape (EnableCapture, InitialSamplingPercentage, ...)."""
        try:
            destination = str(config["DestinationS3Uri"])
            pct = float(config["InitialSamplingPercentage"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CaptureConfigError(
                f"DataCaptureConfig needs DestinationS3Uri and InitialSamplingPercentage: {exc!r}"
            ) from exc
        if not 0 <= pct <= 100:
            raise CaptureConfigError(f"InitialSamplingPercentage must be within 0-100, got {pct}")
        modes = {str(o.get("CaptureMode", "")) for o in config.get("CaptureOptions") or []}
        if not modes:
            modes = {"Input", "Output"}
        unknown = modes - {"Input", "Output", "InputAndOutput"}
        if unknown:
            raise CaptureConfigError(f"unknown CaptureMode {sorted(unknown)}")
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(
            destination=destination,
            sampling_percentage=pct,
            enabled=bool(config.get("EnableCapture", True)),
            capture_input=bool(modes & {"Input", "InputAndOutput"}),
            capture_output=bool(modes & {"Output", "InputAndOutput"}),
            json_content_types=frozenset(_base_type(t) for t in header.get("JsonContentTypes") or []),
            csv_content_types=frozenset(_base_type(t) for t in header.get("CsvContentTypes") or []),
        )


def _base_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def encode_payload(content_type: str, body: bytes, config: CaptureConfig) -> tuple[str, str]:
    """(data, encoding) for one side of the record, per CaptureContentTypeHeader."""
    base = _base_type(content_type)
    if base in config.json_content_types or base in config.csv_content_types:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            return text, "JSON" if base in config.json_content_types else "CSV"
    return base64.b64encode(body).decode("ascii"), "BASE64"


def format_inference_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _captured_payload(mode: str, content_type: str, body: bytes, config: CaptureConfig) -> dict[str, Any]:
    data, encoding = encode_payload(content_type, body, config)
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def build_record(
    config: CaptureConfig,
    *,
    input_content_type: str,
    input_body: bytes,
    output_content_type: str,
    output_body: bytes,
    event_id: str,
    inference_time: datetime,
    inference_id: str | None = None,
) -> dict[str, Any]:
    """One capture record as a dict whose insertion order is SageMaker's key order."""
    capture: dict[str, Any] = {}
    if config.capture_input:
        capture["endpointInput"] = _captured_payload("INPUT", input_content_type, input_body, config)
    if config.capture_output:
        capture["endpointOutput"] = _captured_payload("OUTPUT", output_content_type, output_body, config)
    metadata: dict[str, str] = {"eventId": event_id, "inferenceTime": format_inference_time(inference_time)}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}


def serialize_record(record: Mapping[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def capture_key(prefix: str, endpoint: str, variant: str, when: datetime, file_id: str) -> str:
    when = when.astimezone(UTC)
    name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{file_id}.jsonl"
    parts = [p for p in (prefix.strip("/"), endpoint, variant, f"{when:%Y/%m/%d/%H}", name) if p]
    return "/".join(parts)


class CaptureSink(Protocol):
    def write(self, key: str, data: bytes) -> None: ...


@dataclass
class LocalDirSink:
    root: Path

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # readers never see a half-written file


@dataclass
class S3Sink:
    bucket: str
    client: Any

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/jsonl")


def sink_for_destination(destination: str, *, s3_client: Any | None = None) -> tuple[CaptureSink, str]:
    """(sink, key prefix) for ``s3://bucket/prefix`` (boto3, honours AWS_ENDPOINT_URL) or a local path."""
    parsed = urlparse(destination)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise CaptureConfigError(f"DestinationS3Uri {destination!r} has no bucket")
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        return S3Sink(parsed.netloc, s3_client), parsed.path.strip("/")
    if parsed.scheme == "file":
        return LocalDirSink(Path(parsed.path)), ""
    if parsed.scheme in ("",) or len(parsed.scheme) == 1:  # plain path (or a Windows drive letter)
        return LocalDirSink(Path(destination)), ""
    raise CaptureConfigError(
        f"unsupported capture destination {destination!r} (s3://... or a local directory)"
    )


@dataclass
class CaptureStats:
    sampled: int = 0
    written: int = 0
    dropped: int = 0
    files: int = 0


@dataclass
class CaptureWriter:
    """Buffers serialized records and writes them as .jsonl files from a background thread."""

    sink: CaptureSink
    prefix: str
    endpoint: str
    variant: str
    flush_interval_s: float = 1.0
    flush_records: int = 256
    max_buffered_records: int = 20_000
    file_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    stats: CaptureStats = field(default_factory=CaptureStats)

    def __post_init__(self) -> None:
        self._buffer: list[tuple[datetime, str]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="capture-writer", daemon=True)
        self._thread.start()

    def submit(self, when: datetime, line: str) -> None:
        """Queue one record; never blocks on I/O and never raises."""
        with self._lock:
            self.stats.sampled += 1
            if len(self._buffer) >= self.max_buffered_records:
                self.stats.dropped += 1
                dropped = self.stats.dropped
                full = True
            else:
                self._buffer.append((when, line))
                full = False
                if len(self._buffer) >= self.flush_records:
                    self._wake.set()
        if full:
            log.warning("capture buffer full: dropped a record (%d dropped so far)", dropped)

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write everything buffered now: one file per hour bucket, named after its first record."""
        with self._write_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return
            groups: dict[str, list[tuple[datetime, str]]] = {}
            for when, line in batch:
                groups.setdefault(when.astimezone(UTC).strftime("%Y%m%d%H"), []).append((when, line))
            for records in groups.values():
                key = capture_key(self.prefix, self.endpoint, self.variant, records[0][0], self.file_id())
                data = "".join(line + "\n" for _, line in records).encode("utf-8")
                try:
                    self.sink.write(key, data)
                except Exception as exc:  # any sink failure: count and log, never propagate
                    with self._lock:
                        self.stats.dropped += len(records)
                        dropped = self.stats.dropped
                    log.warning(
                        "capture sink failed for %s: %s; dropped %d records (%d dropped so far)",
                        key,
                        exc,
                        len(records),
                        dropped,
                    )
                else:
                    with self._lock:
                        self.stats.written += len(records)
                        self.stats.files += 1

    def close(self) -> CaptureStats:
        """Stop the thread and write what is left: a clean stop loses no record."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()
        log.info(
            "capture closed: sampled=%d written=%d dropped=%d files=%d",
            self.stats.sampled,
            self.stats.written,
            self.stats.dropped,
            self.stats.files,
        )
        return self.stats


@dataclass
class Capturer:
    """Sampling + record building in front of a writer; clock, ids and RNG are injectable for tests."""

    config: CaptureConfig
    writer: CaptureWriter
    rng: random.Random = field(default_factory=random.Random)
    event_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))

    def should_sample(self) -> bool:
        if not self.config.enabled or self.config.sampling_percentage <= 0:
            return False
        return self.rng.random() * 100.0 < self.config.sampling_percentage

    def capture(
        self,
        *,
        input_content_type: str,
        input_body: bytes,
        output_content_type: str,
        output_body: bytes,
        inference_time: datetime,
        inference_id: str | None,
    ) -> None:
        record = build_record(
            self.config,
            input_content_type=input_content_type,
            input_body=input_body,
            output_content_type=output_content_type,
            output_body=output_body,
            event_id=self.event_id(),
            inference_time=inference_time,
            inference_id=inference_id,
        )
        self.writer.submit(inference_time, serialize_record(record))


def make_capturer(
    raw_config: Mapping[str, Any] | None,
    *,
    endpoint: str,
    variant: str,
    flush_interval_s: float = 1.0,
    s3_client: Any | None = None,
    rng: random.Random | None = None,
) -> Capturer | None:
    """A Capturer for the API's DataCaptureConfig, or None when capture is absent or disabled."""
    if not raw_config:
        return None
    config = CaptureConfig.from_api(raw_config)
    if not config.enabled:
        return None
    sink, prefix = sink_for_destination(config.destination, s3_client=s3_client)
    writer = CaptureWriter(sink, prefix, endpoint, variant, flush_interval_s=flush_interval_s)
    return Capturer(config, writer, rng=rng or random.Random())
