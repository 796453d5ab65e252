"""CLI commands: report (`scones monitor`). Each module exports `commands`, registered by scones.cli."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from scones import monitor
from scones.monitor.page import summary_rows
from scones.workflow.deploy import DEFAULT_ARTIFACT

ENV_CAPTURE_SOURCE = "SCONES_CAPTURE_SOURCE"  # s3://bucket/prefix or a folder of capture files
ENV_REPORT_DIR = "SCONES_REPORT_DIR"  # where monitor writes its PNGs and report.html
ENV_THRESHOLD = "THRESHOLD"  # the same variable the filter Lambda reads
DEFAULT_REPORT_DIR = Path(".scones/report")

console = Console()


@click.command("monitor")
@click.option(
    "--source",
    envvar=ENV_CAPTURE_SOURCE,
    required=True,
    help="Data-capture location: s3://bucket/prefix (boto3; AWS_ENDPOINT_URL points it at LocalStack) "
    "or a local folder. Every .jsonl file under it is read, every line.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=ENV_REPORT_DIR,
    default=DEFAULT_REPORT_DIR,
    show_default=True,
    help="Folder for the PNG charts and the self-contained report.html.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    envvar=ENV_THRESHOLD,
    default=monitor.DEFAULT_THRESHOLD,
    show_default=True,
    help="Confidence a request needs to pass without review (env THRESHOLD, as the filter Lambda).",
)
@click.option("--classes", default=None, help="Class names in output order, comma-separated.")
@click.option(
    "--metadata",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Model metadata.json, artifact folder or model.tar.gz to take the class names from "
    "(default: the model in artifacts/model, else the original project's two classes).",
)
def monitor_command(
    source: str, out_dir: Path, threshold: float, classes: str | None, metadata: Path | None
) -> None:
    """Report on every captured request: confidence vs threshold, class mix, volume, latency."""
    if classes is not None and metadata is not None:
        raise click.UsageError("give --classes or --metadata, not both")
    try:
        if classes is not None:
            names = monitor.parse_classes(classes)
        elif metadata is not None:
            names = monitor.classes_from_metadata(metadata)
        else:
            names = monitor.default_classes(DEFAULT_ARTIFACT)
        capture = monitor.read_capture(monitor.open_source(source))
        report = monitor.build_report(capture, out_dir, source=source, threshold=threshold, classes=names)
    except monitor.MonitorError as exc:
        raise click.ClickException(str(exc)) from exc
    table = Table(title="scones monitor", show_header=False)
    for label, value in summary_rows(report.summary, source):
        table.add_row(label, value)
    console.print(table)
    for bad in report.summary.malformed[:10]:
        console.print(f"[yellow]malformed[/yellow] {bad.source}:{bad.line}: {bad.reason}", highlight=False)
    console.print(f"Report: {report.html.resolve()}", highlight=False)


commands: list[click.Command] = [monitor_command]
