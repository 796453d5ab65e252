"""CLI commands: report (`scones monitor`). Each module exports `commands`, registered by scones.cli."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from scones import config as cfg
from scones import monitor, render
from scones.commands.options import pass_config, resolve
from scones.config import Config

console = Console()


@click.command("monitor")
@click.option(
    "--source",
    help="Data-capture location: s3://bucket/prefix (boto3; AWS_ENDPOINT_URL points it at LocalStack) "
    f"or a local folder. Every .jsonl file under it is read, every line. Env {cfg.CAPTURE_SOURCE.name}.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Folder for the PNG charts and the self-contained report.html (default .scones/report). "
    f"Env {cfg.REPORT_DIR.name}.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help=f"Confidence a request needs to pass without review (default {monitor.DEFAULT_THRESHOLD}). "
    f"Env {cfg.THRESHOLD.name}, as deploy.",
)
@click.option("--classes", default=None, help="Class names in output order, comma-separated.")
@click.option(
    "--metadata",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Model metadata.json, artifact folder or model.tar.gz to take the class names from "
    f"(default: env {cfg.MODEL.name}, else the model in artifacts/model if there, else the original "
    "project's two classes).",
)
@pass_config
def monitor_command(
    config: Config,
    source: str | None,
    out_dir: Path | None,
    threshold: float | None,
    classes: str | None,
    metadata: Path | None,
) -> None:
    """Report on every captured request: confidence vs threshold, class mix, volume, latency."""
    if classes is not None and metadata is not None:
        raise click.UsageError("give --classes or --metadata, not both")
    source = resolve(config, cfg.CAPTURE_SOURCE, source)
    if source is None:
        raise click.UsageError(f"Missing option '--source' (or {cfg.CAPTURE_SOURCE.name}).")
    out_dir = resolve(config, cfg.REPORT_DIR, out_dir)
    threshold = resolve(config, cfg.THRESHOLD, threshold, command="monitor")
    try:
        if classes is not None:
            names = monitor.parse_classes(classes)
        elif metadata is not None:
            names = monitor.classes_from_metadata(metadata)
        elif config.is_set(cfg.MODEL):
            names = monitor.classes_from_metadata(resolve(config, cfg.MODEL))
        else:
            names = monitor.default_classes(cfg.MODEL.default)
        capture = monitor.read_capture(monitor.open_source(source))
        report = monitor.build_report(capture, out_dir, source=source, threshold=threshold, classes=names)
    except monitor.MonitorError as exc:
        raise click.ClickException(str(exc)) from exc
    render.print_monitor(console, report, source)


commands: list[click.Command] = [monitor_command]
