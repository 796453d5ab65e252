"""Capture files in exactly the real SageMaker format, for the monitor tests (test_monitor*.py).

Lines are built as compact JSON with the key order, encodings and time format of the real records in
../shared/data/sagemaker-capture (checked by `test_generated_line__has_the_real_key_layout`), laid out as
`{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/{MM-SS-mmm}-{uuid}.jsonl`, several records per file.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers.images import solid_png


def tiny_png(seed: int) -> bytes:
    """A 4x4 PNG whose colour depends on ``seed`` (records differ, files stay small)."""
    return solid_png((seed * 37 % 256, seed * 91 % 256, 120), size=(4, 4), mode="RGB")


def capture_line(
    probabilities: list[float],
    when: datetime,
    event_id: str,
    *,
    png: bytes,
    output_encoding: str = "JSON",
    extra_metadata: dict[str, object] | None = None,
) -> str:
    """One record as real endpoints write it (the built-in algorithm's `", "` list spacing included)."""
    text = "[" + ", ".join(repr(p) for p in probabilities) + "]"
    data = text if output_encoding == "JSON" else base64.b64encode(text.encode()).decode()
    metadata: dict[str, object] = {"eventId": event_id, "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    metadata.update(extra_metadata or {})
    record = {
        "captureData": {
            "endpointInput": {
                "observedContentType": "image/png",
                "mode": "INPUT",
                "data": base64.b64encode(png).decode(),
                "encoding": "BASE64",
            },
            "endpointOutput": {
                "observedContentType": "application/json",
                "mode": "OUTPUT",
                "data": data,
                "encoding": output_encoding,
            },
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":"))


@dataclass(frozen=True)
class Generated:
    """What was written, kept apart from the code under test so expectations are independent."""

    files: dict[str, list[str]]  # relative key -> lines
    probabilities: list[list[float]]  # one per record, in writing order
    times: list[datetime]


def generate_capture(seed: int = 7, *, files: int = 9, prefix: str = "data_capture") -> Generated:
    """Two endpoints, bursts a day apart, 1-5 records per file, probabilities across the threshold."""
    rng = random.Random(seed)
    png = tiny_png(seed)
    start = datetime(2026, 1, 2, 9, 58, 30, tzinfo=UTC)
    out: dict[str, list[str]] = {}
    probs_all: list[list[float]] = []
    times: list[datetime] = []
    when = start
    for i in range(files):
        endpoint = "scones-endpoint-a" if i % 3 else "scones-endpoint-b"
        if i == files // 2:
            when += timedelta(days=1, hours=3)  # a second burst: a gap the report must cut out
        first = when
        lines = []
        for _ in range(rng.randint(1, 5)):
            p = round(rng.uniform(0.0, 1.0), 6)
            probs = [p, 1.0 - p]
            if len(probs_all) == 4:
                probs = [0.07, 0.93]  # exactly at the threshold: passes (>=), like the filter Lambda
            probs_all.append(probs)
            times.append(when)
            lines.append(capture_line(probs, when, str(uuid.UUID(int=rng.getrandbits(128))), png=png))
            when += timedelta(seconds=rng.randint(5, 200))
        file_id = uuid.UUID(int=rng.getrandbits(128))
        name = f"{first:%M-%S}-{first.microsecond // 1000:03d}-{file_id}.jsonl"
        out[f"{prefix}/{endpoint}/AllTraffic/{first:%Y/%m/%d/%H}/{name}"] = lines
        when += timedelta(minutes=rng.randint(1, 20))
    return Generated(out, probs_all, times)


def write_tree(generated: Generated, root: Path) -> Path:
    for key, lines in generated.files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return root
