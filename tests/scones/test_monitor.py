"""`scones monitor`: parsing every capture line, aggregation, the charts and the CLI, on real-format files.

No service is needed here: the files are local (the S3 path is in test_monitor_s3.py, the browser check
in test_monitor_browser.py). Expected numbers are computed from what the generator wrote, not by the
code under test.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from matplotlib.lines import Line2D

from scones.cli import cli
from scones.monitor import (
    DEFAULT_CLASSES,
    Capture,
    CaptureRecord,
    ClassNamesError,
    MalformedLine,
    build_report,
    classes_from_metadata,
    default_classes,
    open_source,
    parse_file,
    parse_line,
    plots,
    read_capture,
)
from scones.monitor.summary import bin_records, choose_bin_width, split_segments
from tests.helpers.capture_files import capture_line, generate_capture, tiny_png, write_tree
from tests.helpers.shared_data import require_shared
from tests.helpers.tiny_model import build_tiny_artifact, tiny_metadata

T0 = datetime(2026, 1, 2, 10, 0, 0, tzinfo=UTC)


def _line(probs: list[float], **kwargs: object) -> str:
    return capture_line(probs, T0, "e-1", png=tiny_png(1), **kwargs)  # type: ignore[arg-type]


# --- parsing ------------------------------------------------------------------------------------------


def test_parse_line__real_format_record() -> None:
    record = parse_line(_line([0.24, 0.76]), source="f.jsonl", line=3)
    assert isinstance(record, CaptureRecord)
    assert record.probabilities == (0.24, 0.76)
    assert record.inference_time == T0
    assert (record.confidence, record.predicted, record.event_id) == (0.76, 1, "e-1")
    assert (record.source, record.line, record.latency_ms, record.inference_id) == ("f.jsonl", 3, None, None)


def test_parse_line__base64_output_and_csv_output() -> None:
    record = parse_line(_line([0.9, 0.1], output_encoding="BASE64"), source="f", line=1)
    assert isinstance(record, CaptureRecord) and record.probabilities == (0.9, 0.1)
    obj = json.loads(_line([0.5, 0.5]))
    obj["captureData"]["endpointOutput"].update(encoding="CSV", data="0.3,0.7")
    record = parse_line(json.dumps(obj), source="f", line=1)
    assert isinstance(record, CaptureRecord) and record.probabilities == (0.3, 0.7)


def test_parse_line__latency_and_inference_id_when_recorded() -> None:
    line = _line([0.1, 0.9], extra_metadata={"inferenceId": "req-9", "modelLatencyMs": 12.5})
    record = parse_line(line, source="f", line=1)
    assert isinstance(record, CaptureRecord)
    assert (record.latency_ms, record.inference_id) == (12.5, "req-9")


def test_parse_line__input_only_capture_has_no_probabilities() -> None:
    obj = json.loads(_line([0.1, 0.9]))
    del obj["captureData"]["endpointOutput"]
    record = parse_line(json.dumps(obj), source="f", line=1)
    assert isinstance(record, CaptureRecord)
    assert (record.probabilities, record.confidence, record.predicted) == (None, None, None)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda o: "{not json", "not JSON"),
        (lambda o: "[1, 2]", "not a JSON object"),
        (lambda o: o.pop("eventMetadata") and None, "eventMetadata is missing"),
        (lambda o: o["eventMetadata"].pop("inferenceTime") and None, "inferenceTime is missing"),
        (lambda o: o["eventMetadata"].update(inferenceTime="yesterday"), "is not an ISO-8601 time"),
        (lambda o: o["captureData"]["endpointOutput"].update(data='{"a": 1}'), "not a non-empty list"),
        (lambda o: o["captureData"]["endpointOutput"].update(data="[0.5, null]"), "not a number"),
        (lambda o: o["captureData"]["endpointOutput"].update(data="[NaN, 0.5]"), "not a finite number"),
        (lambda o: o["captureData"]["endpointOutput"].update(encoding="XML"), "is not JSON, CSV or BASE64"),
        (
            lambda o: o["captureData"]["endpointOutput"].update(encoding="BASE64", data="%%%"),
            "not base64 of UTF-8 text",
        ),
    ],
)
def test_parse_line__malformed_gives_reason(mutate, reason: str) -> None:
    obj = json.loads(_line([0.2, 0.8]))
    replaced = mutate(obj)
    text = replaced if isinstance(replaced, str) else json.dumps(obj)
    result = parse_line(text, source="f.jsonl", line=7)
    assert isinstance(result, MalformedLine)
    assert (result.source, result.line) == ("f.jsonl", 7)
    assert reason in result.reason


def test_parse_file__every_line_blank_lines_skipped_bad_bytes_counted() -> None:
    good = [_line([0.1, 0.9]), _line([0.8, 0.2]), _line([0.6, 0.4])]
    content = (good[0] + "\n\n" + good[1] + "\n").encode() + b"\xff\xfe\n" + good[2].encode() + b"\n"
    items = list(parse_file(content, "k.jsonl"))
    assert [type(i).__name__ for i in items] == ["CaptureRecord"] * 2 + ["MalformedLine", "CaptureRecord"]
    assert [i.line for i in items] == [1, 3, 4, 5]
    assert items[2].reason == "not UTF-8 text"  # type: ignore[union-attr]


@pytest.mark.shared
def test_generated_line__has_the_real_key_layout() -> None:
    """The generator's lines match the real records' keys, order and encodings (so the fixture is fair)."""
    folder = require_shared("sagemaker-capture")
    real = next(folder.rglob("*.jsonl")).read_text().splitlines()[0]

    def shape(obj: object) -> object:
        if isinstance(obj, dict):
            return [(k, shape(v)) for k, v in obj.items() if k not in ("data", "eventId", "inferenceTime")]
        return obj

    assert shape(json.loads(_line([0.1, 0.9]))) == shape(json.loads(real))


# --- reading every record -----------------------------------------------------------------------------


@pytest.mark.shared
def test_read_capture__real_sagemaker_files_every_record() -> None:
    """The 31 records of 19 real files, including the files with 2 and 3 records the notebook half-read."""
    folder = require_shared("sagemaker-capture")
    capture = read_capture(open_source(str(folder)))
    assert (len(capture.records), capture.files, capture.malformed) == (31, 19, [])
    assert capture.records[0].inference_time == datetime(2023, 3, 4, 18, 1, 40, tzinfo=UTC)
    assert capture.records[-1].inference_time == datetime(2024, 11, 25, 23, 22, 4, tzinfo=UTC)
    assert len({r.event_id for r in capture.records}) == 31


def test_read_capture__generated_tree_counts_mix_and_share(tmp_path: Path) -> None:
    generated = generate_capture(seed=11, files=9)
    write_tree(generated, tmp_path)
    capture = read_capture(open_source(str(tmp_path)))
    probs = generated.probabilities
    expected_below = sum(1 for p in probs if max(p) < 0.93)
    expected_bicycle = sum(1 for p in probs if p[0] >= p[1])
    assert sum(len(lines) for lines in generated.files.values()) == len(probs)
    assert any(len(lines) > 1 for lines in generated.files.values())  # several records per file
    assert (len(capture.records), capture.files, capture.malformed) == (len(probs), 9, [])

    report = build_report(capture, tmp_path / "out", source=str(tmp_path), threshold=0.93)
    s = report.summary
    assert (s.records, s.files, s.with_output) == (len(probs), 9, len(probs))
    assert s.below_threshold == expected_below
    assert s.share_below == pytest.approx(expected_below / len(probs))
    assert s.class_counts == {"bicycle": expected_bicycle, "motorcycle": len(probs) - expected_bicycle}
    assert (s.first, s.last) == (min(generated.times), max(generated.times))
    assert 0 < expected_below < len(probs)  # the fixture really straddles the threshold
    assert [p.name for p in report.pngs] == ["confidence.png", "class_mix.png", "volume.png"]
    for png in report.pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = report.html.read_text()
    assert page.count('<img id="chart-') == 3 and "Latency: not recorded" in page
    assert 'src="http' not in page and "<link" not in page and "<script" not in page


def test_read_capture__malformed_lines_counted_not_fatal(tmp_path: Path) -> None:
    generated = generate_capture(seed=3, files=4)
    write_tree(generated, tmp_path)
    victim = sorted(tmp_path.rglob("*.jsonl"))[1]
    good = victim.read_bytes()
    first = good.splitlines()[0]
    truncated = first[: len(first) // 2]
    victim.write_bytes(truncated + b"\n" + good + b'{"eventVersion":"0"}\n\xc3\x28\n')
    capture = read_capture(open_source(str(tmp_path)))
    assert len(capture.records) == len(generated.probabilities)
    assert [m.line for m in capture.malformed] == [1, len(good.splitlines()) + 2, len(good.splitlines()) + 3]
    assert all(m.source.endswith(victim.name) for m in capture.malformed)
    report = build_report(capture, tmp_path / "out", source="x")
    assert "Malformed lines (3)" in report.html.read_text()


# --- aggregation and charts ---------------------------------------------------------------------------


def _record(
    seconds: float, probs: tuple[float, ...] = (0.2, 0.8), latency: float | None = None
) -> CaptureRecord:
    return CaptureRecord(T0 + timedelta(seconds=seconds), "e", probs, "f", 1, latency_ms=latency)


def test_split_segments__cuts_long_idle_gaps_only() -> None:
    times = [T0 + timedelta(minutes=m) for m in (0, 10, 50, 50 + 61, 120 + 24 * 60)]
    segments = split_segments(times)
    assert [(s.start, s.end) for s in segments] == [
        (times[0], times[2]),
        (times[3], times[3]),
        (times[4], times[4]),
    ]
    assert len(split_segments(times, max_segments=2)) == 2  # only the longest gap is cut then


def test_bin_records__counts_per_bin_and_class() -> None:
    records = [_record(0), _record(30, (0.95, 0.05)), _record(70, (0.5, 0.5)), _record(400)]
    segments = split_segments(r.inference_time for r in records)
    width = choose_bin_width(segments)
    assert width == timedelta(seconds=30)  # 400 s span: 14 bins of 30 s fit under 30
    bins = bin_records(records, segments, width, threshold=0.93)
    assert [(b.start - T0, b.total, b.below) for b in bins] == [
        (timedelta(0), 1, 1),
        (timedelta(seconds=30), 1, 0),
        (timedelta(seconds=60), 1, 1),
        (timedelta(seconds=390), 1, 1),
    ]
    assert [dict(b.by_class) for b in bins] == [
        {"motorcycle": 1},
        {"bicycle": 1},
        {"bicycle": 1},
        {"motorcycle": 1},
    ]


def _threshold_lines(fig) -> list[Line2D]:
    found = []
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_transform() == ax.get_yaxis_transform() and line.get_linestyle() == "--":
                found.append(line)
    return found


@pytest.mark.parametrize("threshold", [0.93, 0.8])
def test_confidence_figure__draws_threshold_line_in_every_panel(threshold: float) -> None:
    records = [_record(0), _record(20, (0.97, 0.03)), _record(3 * 3600, (0.1, 0.9))]
    segments = split_segments(r.inference_time for r in records)
    fig = plots.confidence_figure(records, segments, threshold=threshold, classes=("bicycle", "motorcycle"))
    lines = _threshold_lines(fig)
    assert len(fig.axes) == len(segments) == 2
    assert len(lines) == 2
    for line in lines:
        assert list(line.get_ydata()) == [threshold, threshold]  # type: ignore[arg-type]
        assert list(line.get_xdata()) == [0, 1]  # type: ignore[arg-type]  (spans the whole panel)
        assert line.get_label() == f"threshold {threshold:g}"
    below = sum(1 for r in records if max(r.probabilities or ()) < threshold)
    assert fig.get_suptitle() == f"Confidence per request — {below} of 3 below {threshold:g}"
    points = sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections)
    assert points == 3


def test_latency_figure__only_when_recorded(tmp_path: Path) -> None:
    plain = [_record(0), _record(10)]
    timed = [_record(0, latency=12.0), _record(10, latency=30.0), _record(20)]
    segments = split_segments(r.inference_time for r in plain)
    assert plots.latency_figure(plain, segments, bin_width=timedelta(minutes=1)) is None

    report = build_report(Capture(timed, [], 1), tmp_path, source="x")
    assert report.summary.latency is not None
    assert (report.summary.latency.count, report.summary.latency.max_ms) == (2, 30.0)
    assert [p.name for p in report.pngs][-1] == "latency.png"
    assert "not recorded" not in report.html.read_text()


def test_build_report__empty_source_still_writes_a_page(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    report = build_report(read_capture(open_source(str(tmp_path / "src"))), tmp_path / "out", source="x")
    assert (report.summary.records, report.pngs) == (0, [])
    assert "No capture records were found" in report.html.read_text()


# --- class names and the CLI --------------------------------------------------------------------------


def test_classes_from_metadata__artifact_folder_and_errors(tmp_path: Path) -> None:
    (tmp_path / "metadata.json").write_text(json.dumps(tiny_metadata(["car", "bus"], height=4, width=4)))
    assert classes_from_metadata(tmp_path) == ("car", "bus")
    (tmp_path / "metadata.json").write_text(json.dumps(tiny_metadata([], height=4, width=4)))
    with pytest.raises(ClassNamesError, match="at least two classes"):
        classes_from_metadata(tmp_path)
    (tmp_path / "metadata.json").write_text("{")
    with pytest.raises(ClassNamesError, match="is not valid JSON"):
        classes_from_metadata(tmp_path)


def test_default_classes__the_default_model_when_there(tmp_path: Path) -> None:
    assert default_classes(tmp_path / "absent") == DEFAULT_CLASSES
    build_tiny_artifact(tmp_path / "model", classes=("car", "tram", "bus"))
    assert default_classes(tmp_path / "model") == ("car", "tram", "bus")
    (tmp_path / "model" / "metadata.json").write_text("{")
    with pytest.raises(ClassNamesError, match="is not valid JSON"):
        default_classes(tmp_path / "model")


def test_monitor_cli__local_folder_with_metadata_classes_and_env_threshold(tmp_path: Path) -> None:
    generated = generate_capture(seed=5, files=5)
    write_tree(generated, tmp_path / "cap")
    (tmp_path / "metadata.json").write_text(json.dumps(tiny_metadata(["bike", "moto"], height=4, width=4)))
    out = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        ["monitor", "--out", str(out), "--metadata", str(tmp_path / "metadata.json")],
        env={"SCONES_CAPTURE_SOURCE": str(tmp_path / "cap"), "THRESHOLD": "0.8"},
    )
    assert result.exit_code == 0, result.output
    probs = generated.probabilities
    below = sum(1 for p in probs if max(p) < 0.8)
    bikes = sum(1 for p in probs if p[0] >= p[1])
    assert f"{below} of {len(probs)}" in result.output
    assert f"bike {bikes} " in result.output and f"moto {len(probs) - bikes} " in result.output
    assert str((out / "report.html").resolve()) in result.output.replace("\n", "")
    assert "<tr><th>threshold</th><td>0.8</td></tr>" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "/does/not/exist"], "capture folder /does/not/exist does not exist"),
        (["--source", "s3://"], "has no bucket name"),
        (["--source", ".", "--classes", "a,,b"], "--classes must be a non-empty list"),
        (["--source", ".", "--classes", "a,b", "--metadata", "."], "give --classes or --metadata, not both"),
        (["--source", ".", "--threshold", "1.5"], "1.5 is not in the range"),
    ],
)
def test_monitor_cli__bad_input_is_a_clear_error(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["monitor", "--out", str(tmp_path), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_capture_line_base64_roundtrip_png() -> None:
    data = json.loads(_line([0.1, 0.9]))["captureData"]["endpointInput"]["data"]
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
