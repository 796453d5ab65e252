"""Unit tier: capture records vs the real SageMaker files, key layout, sampling, the buffered writer."""

from __future__ import annotations

import base64
import json
import random
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from local_endpoint.capture import (
    CaptureConfig,
    CaptureConfigError,
    Capturer,
    CaptureWriter,
    LocalDirSink,
    build_record,
    capture_key,
    serialize_record,
    sink_for_destination,
)
from tests.helpers.endpoint_process import CAPTURE_SAMPLES
from tests.helpers.shared_data import require_shared

JSON_CFG = CaptureConfig.from_api(
    {
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": "s3://b/p",
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
    }
)
KEY_RE = re.compile(
    r"^(?:(.+)/)?([^/]+)/([^/]+)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/(\d{2})-(\d{2})-(\d{3})-([0-9a-f-]{36})\.jsonl$"
)


def real_capture_files() -> list[Path]:
    """The real capture files in ../shared (the calling test is marked ``shared``)."""
    return sorted(require_shared("sagemaker-capture").rglob("*.jsonl"))


@pytest.mark.shared
def test_build_record__reproduces_every_real_sagemaker_line_byte_for_byte() -> None:
    files = real_capture_files()
    lines = 0
    for path in files:
        raw = path.read_bytes()
        assert raw.endswith(b"\n")
        for line in raw.decode().splitlines():
            real = json.loads(line)
            cap, meta = real["captureData"], real["eventMetadata"]
            ours = build_record(
                JSON_CFG,
                input_content_type=cap["endpointInput"]["observedContentType"],
                input_body=base64.b64decode(cap["endpointInput"]["data"]),
                output_content_type=cap["endpointOutput"]["observedContentType"],
                output_body=cap["endpointOutput"]["data"].encode(),
                event_id=meta["eventId"],
                inference_time=datetime.strptime(meta["inferenceTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
                    tzinfo=UTC
                ),
            )
            assert serialize_record(ours) == line
            lines += 1
    assert lines == 31


@pytest.mark.shared
def test_capture_key__matches_real_layout() -> None:
    for path in real_capture_files():
        rel = path.relative_to(CAPTURE_SAMPLES).as_posix()
        assert KEY_RE.match(rel), rel
    when = datetime(2024, 10, 16, 9, 20, 31, 318_999, tzinfo=UTC)
    key = capture_key("data_capture", "ep", "AllTraffic", when, "522f1249-69d4-48f8-9199-28c2ac8e3eed")
    assert (
        key == "data_capture/ep/AllTraffic/2024/10/16/09/20-31-318-522f1249-69d4-48f8-9199-28c2ac8e3eed.jsonl"
    )
    assert capture_key("", "ep", "v", when, "x" * 36).startswith("ep/v/2024/")


def test_build_record__modes_encodings_and_inference_id() -> None:
    base64_only = CaptureConfig.from_api(
        {
            "InitialSamplingPercentage": 10,
            "DestinationS3Uri": "/tmp/x",
            "CaptureOptions": [{"CaptureMode": "Output"}],
        }
    )
    when = datetime(2026, 1, 2, 3, 4, 5, 999_000, tzinfo=UTC)
    record = build_record(
        base64_only,
        input_content_type="image/png",
        input_body=b"\x89PNG",
        output_content_type="application/json",
        output_body=b"[0.5, 0.5]",
        event_id="e",
        inference_time=when,
        inference_id="req-7",
    )
    assert list(record["captureData"]) == ["endpointOutput"]
    assert record["captureData"]["endpointOutput"]["encoding"] == "BASE64"
    assert base64.b64decode(record["captureData"]["endpointOutput"]["data"]) == b"[0.5, 0.5]"
    assert record["eventMetadata"] == {
        "eventId": "e",
        "inferenceTime": "2026-01-02T03:04:05Z",
        "inferenceId": "req-7",
    }
    csv = CaptureConfig.from_api(
        {
            "InitialSamplingPercentage": 1,
            "DestinationS3Uri": "/x",
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        }
    )
    rec = build_record(
        csv,
        input_content_type="text/csv; charset=utf-8",
        input_body=b"1,2",
        output_content_type="application/json",
        output_body=b"[1]",
        event_id="e",
        inference_time=when,
    )
    assert rec["captureData"]["endpointInput"]["encoding"] == "CSV"
    assert rec["captureData"]["endpointInput"]["data"] == "1,2"


@pytest.mark.parametrize(
    "config",
    [{}, {"DestinationS3Uri": "s3://b"}, {"DestinationS3Uri": "s3://b", "InitialSamplingPercentage": 101}],
)
def test_capture_config__rejects_malformed(config: dict[str, object]) -> None:
    with pytest.raises(CaptureConfigError):
        CaptureConfig.from_api(config)


def test_sink_for_destination__s3_and_local(tmp_path: Path) -> None:
    sink, prefix = sink_for_destination("s3://bucket/a/b/", s3_client=object())
    assert (type(sink).__name__, getattr(sink, "bucket", None), prefix) == ("S3Sink", "bucket", "a/b")
    local, prefix = sink_for_destination(str(tmp_path))
    assert isinstance(local, LocalDirSink) and prefix == ""
    with pytest.raises(CaptureConfigError):
        sink_for_destination("ftp://x/y")


class FailingSink:
    def write(self, key: str, data: bytes) -> None:
        raise ConnectionError("sink down")


def test_capturer__seeded_sampling_and_clean_close_loses_nothing(tmp_path: Path) -> None:
    cfg = CaptureConfig.from_api({"InitialSamplingPercentage": 30, "DestinationS3Uri": str(tmp_path)})
    writer = CaptureWriter(LocalDirSink(tmp_path), "", "ep", "AllTraffic", flush_interval_s=60)
    capturer = Capturer(cfg, writer, rng=random.Random(1234))
    expected_rng = random.Random(1234)
    expected = sum(expected_rng.random() * 100 < 30 for _ in range(200))
    when = datetime(2026, 5, 6, 7, 59, 59, tzinfo=UTC)
    sampled = 0
    for i in range(200):
        if capturer.should_sample():
            sampled += 1
            # half the records fall into the next hour: two files, one per hour folder
            at = when if i % 2 else when.replace(hour=8, minute=0, second=0)
            capturer.capture(
                input_content_type="image/png",
                input_body=bytes([i]),
                output_content_type="application/json",
                output_body=b"[1.0, 0.0]",
                inference_time=at,
                inference_id=None,
            )
    stats = writer.close()
    assert sampled == expected and 30 < sampled < 90
    assert (stats.sampled, stats.written, stats.dropped) == (sampled, sampled, 0)
    files = sorted(tmp_path.rglob("*.jsonl"))
    assert {f.parent.name for f in files} == {"07", "08"} and stats.files == 2
    assert sum(len(f.read_text().splitlines()) for f in files) == sampled


def test_capture_writer__sink_down_counts_drops_and_never_raises() -> None:
    writer = CaptureWriter(FailingSink(), "", "ep", "v", flush_interval_s=0.05)
    done = threading.Event()
    for _ in range(5):
        writer.submit(datetime.now(UTC), "{}")
    done.wait(0.3)
    writer.submit(datetime.now(UTC), "{}")
    stats = writer.close()
    assert (stats.sampled, stats.written, stats.dropped) == (6, 0, 6)


def test_capture_writer__full_buffer_drops_instead_of_growing(tmp_path: Path) -> None:
    writer = CaptureWriter(LocalDirSink(tmp_path), "", "ep", "v", flush_interval_s=60, max_buffered_records=3)
    writer.flush_records = 10**9
    for _ in range(5):
        writer.submit(datetime.now(UTC), "{}")
    stats = writer.close()
    assert (stats.sampled, stats.written, stats.dropped) == (5, 3, 2)
