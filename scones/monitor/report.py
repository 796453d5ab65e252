"""Build the monitor report: read every capture record, summarize, draw, write PNGs and one HTML page.

The one place that ties sources, parsing, aggregation and drawing together; the CLI only passes options.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_endpoint import artifact
from local_endpoint.artifact import DEFAULT_CLASSES, DEFAULT_THRESHOLD
from local_endpoint.errors import ArtifactError
from scones.monitor import plots
from scones.monitor.exceptions import ClassNamesError
from scones.monitor.page import Chart, render_page
from scones.monitor.records import CaptureRecord, MalformedLine, parse_file
from scones.monitor.sources import is_s3_uri, iter_local, iter_s3, parse_s3_uri
from scones.monitor.summary import (
    Summary,
    bin_records,
    choose_bin_width,
    split_segments,
    summarize,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

HTML_NAME = "report.html"


@dataclass(frozen=True)
class Capture:
    """Everything read from a source: good records in time order, bad lines, how many files."""

    records: list[CaptureRecord]
    malformed: list[MalformedLine]
    files: int


@dataclass(frozen=True)
class Report:
    summary: Summary
    html: Path
    pngs: list[Path] = field(default_factory=list)


def read_capture(files: Iterable[tuple[str, bytes]]) -> Capture:
    records: list[CaptureRecord] = []
    malformed: list[MalformedLine] = []
    count = 0
    for name, content in files:
        count += 1
        for item in parse_file(content, name):
            (records if isinstance(item, CaptureRecord) else malformed).append(item)  # type: ignore[arg-type]
    records.sort(key=lambda r: (r.inference_time, r.source, r.line))
    return Capture(records, malformed, count)


def open_source(source: str, s3_client: S3Client | None = None) -> Iterable[tuple[str, bytes]]:
    """`s3://bucket/prefix` (boto3; AWS_ENDPOINT_URL selects LocalStack) or a local folder."""
    if is_s3_uri(source):
        location = parse_s3_uri(source)
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        return iter_s3(s3_client, location)
    return iter_local(Path(source))


def classes_from_metadata(path: Path) -> tuple[str, ...]:
    """`classes` of a model artifact (contracts §1): its folder, its metadata.json or its model.tar.gz."""
    try:
        return artifact.load_metadata(path).classes
    except ArtifactError as exc:
        raise ClassNamesError(f"cannot take class names from {path}: {exc}") from exc


def default_classes(artifact_dir: Path) -> tuple[str, ...]:
    """Class names when none are given: those of the model at ``artifact_dir`` (the one deploy uses by
    default) when there is one, else the contract's default."""
    if not artifact_dir.exists():
        return DEFAULT_CLASSES
    return classes_from_metadata(artifact_dir)


def parse_classes(value: Any, *, origin: str = "--classes") -> tuple[str, ...]:
    """A list of names, or a comma-separated string of them; non-empty, no blanks, no duplicates."""
    try:
        return artifact.parse_classes(value, origin=origin)
    except ArtifactError as exc:
        raise ClassNamesError(str(exc)) from exc


def build_report(
    capture: Capture,
    out_dir: Path,
    *,
    source: str,
    threshold: float = DEFAULT_THRESHOLD,
    classes: Sequence[str] = DEFAULT_CLASSES,
    now: datetime | None = None,
) -> Report:
    """Write `<out>/*.png` and `<out>/report.html` for what was read; returns the summary and paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records = capture.records
    summary = summarize(
        records, files=capture.files, malformed=capture.malformed, threshold=threshold, classes=classes
    )
    charts: list[Chart] = []
    if records:
        segments = split_segments(r.inference_time for r in records)
        width = choose_bin_width(segments)
        bins = bin_records(records, segments, width, threshold=threshold, classes=classes)
        figures = [
            (
                "confidence",
                "Confidence over time",
                plots.confidence_figure(
                    records, segments, threshold=threshold, classes=classes, bin_width=width
                ),
                f"Max probability of each request, coloured by predicted class; dashed line: threshold "
                f"{threshold:g}. Hollow points fall below it and go to human review.",
            ),
            (
                "class_mix",
                "Predicted class mix over time",
                plots.class_mix_figure(bins, segments, classes=classes, width=width),
                "Requests per time bin by predicted class.",
            ),
            (
                "volume",
                "Request volume over time",
                plots.volume_figure(bins, segments, threshold=threshold, width=width),
                "Requests per time bin, split at the threshold.",
            ),
        ]
        latency = plots.latency_figure(records, segments, bin_width=width)
        if latency is not None:
            figures.append(("latency", "Latency over time", latency, "Latency recorded per request."))
        if len(segments) > 1:
            note = " Panels are separate bursts of traffic (idle gaps over an hour are cut out)."
            figures = [(k, t, f, c + note) for k, t, f, c in figures]
        for key, title, fig, caption in figures:
            charts.append(Chart(key, title, plots.save_png(fig, out_dir / f"{key}.png"), caption))
    page = render_page(summary, charts, source=source, generated=now or datetime.now(UTC))
    html_path = out_dir / HTML_NAME
    html_path.write_text(page, encoding="utf-8")
    return Report(summary, html_path, [c.png for c in charts])
