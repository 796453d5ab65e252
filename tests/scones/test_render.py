"""What the commands and the demo print (scones.render), rendered from real result objects to a recording
console: no stack, no network. Each test builds the library's own types (a run, an evaluation computed by
the metric functions, a plan built from settings) so a renamed field or a changed rule fails here."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from local_endpoint.artifact import ModelMetadata
from scones import render
from scones.cli import cli
from scones.demo import choose_threshold
from scones.evaluation.evaluate import EvaluationReport
from scones.evaluation.metrics import ImageResult, compare, metrics_of
from scones.monitor import build_report, read_capture
from scones.workflow.deploy import DeployResult
from scones.workflow.plan import build_plan
from scones.workflow.run import ItemResult, RunReport
from scones.workflow.settings import Target, WorkflowSettings
from tests.helpers.shared_data import require_shared
from tests.helpers.tiny_model import tiny_metadata

CLASSES = ("bicycle", "motorcycle", "bus")


def _console() -> Console:
    return Console(record=True, width=200, color_system=None)


def _run_report() -> RunReport:
    """Predictions are named by the deployed model's classes (here three, in output order)."""
    return RunReport(
        items=[
            ItemResult("test/bus_1.png", "bus", outcome="classified", inferences=[0.01, 0.02, 0.97]),
            ItemResult("test/bike_2.png", "bicycle", outcome="review", inferences=[0.4, 0.6, 0.0]),
            ItemResult("test/[odd].png", None, outcome="failed", error="States.Timeout", cause="x" * 200),
            ItemResult("test/slow.png", "bicycle", outcome="timeout"),
        ],
        seconds=3.25,
    )


def test_run_table__rows_and_summary_from_the_report() -> None:
    report = _run_report()
    for item in report.items:
        item.classes = CLASSES
    console = _console()
    render.print_run(console, report)
    text = console.export_text()

    assert "4 execution(s) in 3.25 s" in text
    bus_row = next(line for line in text.splitlines() if "bus_1.png" in line)
    for cell in ("bus", "0.970", "classified"):
        assert cell in bus_row
    review_row = next(line for line in text.splitlines() if "bike_2.png" in line)
    assert "motorcycle" in review_row and "0.600" in review_row and "review" in review_row
    # A key with brackets is shown as is, not swallowed as rich markup; a failure's reason is cut.
    failed_row = next(line for line in text.splitlines() if "failed" in line and "States" in line)
    assert "test/[odd].png" in failed_row
    assert "States.Timeout: " + "x" * (render.REASON_WIDTH - len("States.Timeout: ")) in failed_row
    assert "x" * (render.REASON_WIDTH - len("States.Timeout: ") + 1) not in failed_row
    # One of two labelled-and-predicted items is right (bicycle predicted motorcycle).
    assert "summary: classified 1, review 1, failed 1, timeout 1; accuracy 50.0% on labelled items" in text


def test_outcome_counts__every_outcome_in_order_zeros_included() -> None:
    report = RunReport(items=[ItemResult(key="a", outcome="review")], seconds=0.1)
    assert render.outcome_counts(report) == {"classified": 0, "review": 1, "failed": 0, "timeout": 0}
    assert render.run_summary(report) == "summary: classified 0, review 1, failed 0, timeout 0"


def _image(key: str, label: int, probabilities: tuple[float, ...], outcome: str) -> ImageResult:
    return ImageResult(key=key, label=label, probabilities=probabilities, outcome=outcome)


def _evaluation(workflow: dict[str, ImageResult], offline: dict[str, ImageResult]) -> EvaluationReport:
    return EvaluationReport(
        workflow=metrics_of(list(workflow.values()), 0.9),
        offline=metrics_of(list(offline.values()), 0.9),
        problems=compare(workflow, offline),
        seconds=4.5,
    )


def test_evaluation__equal_runs_print_metrics_and_the_all_equal_line() -> None:
    images = {
        "a": _image("a", 0, (0.95, 0.05), "classified"),
        "b": _image("b", 1, (0.7, 0.3), "review"),
    }
    console = _console()
    render.print_evaluation(console, _evaluation(images, dict(images)), 0.9)
    text = console.export_text()

    accuracy = next(line for line in text.splitlines() if "accepted_accuracy" in line)
    assert accuracy.count("1.0000") == 2  # workflow and offline columns
    assert next(line for line in text.splitlines() if "images" in line and "│" in line).count("2") == 2
    assert "offline (same artifact, same images)" in text
    assert "threshold 0.9; 2 images in 4.5 s" in text
    assert "the deployed workflow equals offline evaluation on every image" in text
    assert "drift" not in text


def test_evaluation__every_difference_up_to_the_limit_then_how_many_more() -> None:
    offline = {f"k{i:02d}": _image(f"k{i:02d}", 0, (0.95, 0.05), "classified") for i in range(25)}
    workflow = {key: _image(key, 0, (0.5, 0.5), "review") for key in offline}
    report = _evaluation(workflow, offline)
    console = _console()
    render.print_evaluation(console, report, 0.9)
    text = console.export_text()

    assert len(report.problems) == 25
    assert text.count("drift k") == render.DRIFT_LINES
    assert "… and 5 more" in text
    assert "equals offline evaluation" not in text


def test_plan__table_lists_what_deploy_creates_and_the_tags() -> None:
    settings = WorkflowSettings(target=Target.AWS, project="shown", threshold=0.95)
    plan = build_plan(settings)
    console = _console()
    render.print_plan(console, plan)
    text = console.export_text()

    assert "deploy plan: target aws, project shown" in text
    body = [line for line in text.splitlines() if line.startswith("│")]
    assert len(body) == len(plan.describe())
    for line, (kind, name, _) in zip(body, plan.describe(), strict=True):  # in the order deploy runs
        assert [cell.strip() for cell in line.split("│")[1:3]] == [kind, name]
    assert "{'THRESHOLD': '0.95'}" in text
    assert "tags: {'scones:project': 'shown'}  (dry run: nothing was called)" in text


def test_deployed__changes_endpoint_and_state_machine() -> None:
    plan = build_plan(WorkflowSettings(project="dep"))
    result = DeployResult(
        plan=plan,
        endpoint_name="dep-endpoint",
        state_machine_arn=plan.state_machine_arn,
        bucket="dep-workflow",
        changes=["created bucket", "created role"],
    )
    console = _console()
    render.print_deployed(console, result)
    assert console.export_text().splitlines() == [
        "2 change(s); endpoint dep-endpoint InService",
        f"state machine {plan.state_machine_arn}",
    ]


def test_staging__recorded_warnings_then_the_counts(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("archive [local] md5 not verified", UserWarning, stacklevel=1)
        warnings.warn("second", UserWarning, stacklevel=1)
    console = _console()
    render.caught_warnings(console, caught)
    console.print(render.staged_line({"train": 1000, "test": 200}, tmp_path))
    assert console.export_text().splitlines() == [
        "warning: archive [local] md5 not verified",
        "warning: second",
        f"staged 1000 train + 200 test images into {tmp_path}",
    ]


def test_training_summary__from_the_artifact_metadata(tmp_path: Path) -> None:
    data = tiny_metadata(CLASSES, height=32, width=32, temperature=0.5, threshold=0.97)
    data["metrics"] = {"test": {"accuracy": 0.9512, "ece": 0.0312}, "train_seconds": 41.6}
    line = render.training_summary(ModelMetadata.from_dict(data), tmp_path)
    assert line == (
        "test accuracy 0.951, ECE 0.031, temperature 0.50, recommended threshold 0.97, "
        f"trained in 42 s → {tmp_path}"
    )


def test_threshold_choice__explains_each_source() -> None:
    low = render.threshold_choice(choose_threshold(0.5, floor=0.93))
    assert low.startswith("threshold 0.93 (original project): ")
    assert "recommendation 0.5 is lower" in low
    high = render.threshold_choice(choose_threshold(0.97, floor=0.93))
    assert high.startswith("threshold 0.97 (recommended): ")
    assert "above the original project's 0.93: more conservative" in high
    tie = render.threshold_choice(choose_threshold(0.93, floor=0.93))
    assert (
        tie == "threshold 0.93 (recommended): the model's recommendation equals the original project's 0.93"
    )
    none = render.threshold_choice(choose_threshold(None, floor=0.93))
    assert none == "threshold 0.93 (original project): the model states no recommended threshold"


def test_steps__rule_per_step_and_timings_kept_in_order() -> None:
    timings: dict[str, float] = {}
    console = _console()
    step = render.Steps(console, timings)
    with step("first", "one [thing]"):
        pass
    with step("second", "another"):
        pass
    render.demo_summary(console, timings, Path("/tmp/report.html"))
    text = console.export_text()

    assert list(timings) == ["first", "second"]
    assert all(seconds >= 0 for seconds in timings.values())
    assert "first — one [thing]" in text
    assert "second: 0.0 s" in text
    assert "Open the report: /tmp/report.html" in text


@pytest.mark.shared
def test_stage_cli__the_unverified_archive_warning_on_stderr_the_counts_on_stdout(tmp_path: Path) -> None:
    """`scones stage` and the demo show the same staging lines; the command keeps warnings on stderr."""
    archive = require_shared("cifar-100-python-vehicles.tar.gz")
    out = tmp_path / "staged"
    result = CliRunner().invoke(cli, ["stage", "--archive", str(archive), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"staged 1000 train + 200 test images into {out}\n"
    assert result.stderr.startswith(f"warning: using local archive {archive} without md5 verification")
    assert result.stderr.count("\n") == 1  # one line whatever the path's length: never wrapped


def test_monitor__summary_table_malformed_lines_and_the_report(tmp_path: Path) -> None:
    """Built by the monitor itself from capture lines (two good, one malformed), as `scones monitor` does."""
    good = (
        '{"captureData": {"endpointInput": {"data": "eyJ9", "encoding": "BASE64", "mode": "INPUT", '
        '"observedContentType": "application/json"}, "endpointOutput": {"data": "[0.9, 0.1]", '
        '"encoding": "JSON", "mode": "OUTPUT", "observedContentType": "application/json"}}, '
        '"eventMetadata": {"eventId": "%s", "inferenceTime": "2026-01-01T00:00:0%dZ"}, '
        '"eventVersion": "0"}'
    )
    lines = [good % ("a", 1), good % ("b", 2), "{not json"]
    capture = read_capture([("s3://b/data_capture/x.jsonl", "\n".join(lines).encode())])
    report = build_report(capture, tmp_path, source="s3://b/data_capture", threshold=0.93, classes=("x", "y"))
    console = _console()
    render.print_monitor(console, report, "s3://b/data_capture")
    text = console.export_text()

    records = next(line for line in text.splitlines() if "│ records " in line)
    assert records.split("│")[2].strip() == "2"
    assert "malformed s3://b/data_capture/x.jsonl:3: " in text
    assert f"Report: {report.html.resolve()}" in text
