"""CLI command: ``scones evaluate`` (thin: run the test split, print workflow vs offline metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scones import render
from scones.commands.workflow import _settings, _target_options
from scones.evaluation import evaluate_workflow
from scones.workflow.errors import WorkflowError
from scones.workflow.run import ItemResult
from scones.workflow.settings import ENV_THRESHOLD


@click.command("evaluate")
@_target_options
@click.option(
    "--model",
    "artifact",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="artifacts/model",
    show_default=True,
    envvar="SCONES_ARTIFACT_DIR",
    help="Artifact directory (model.onnx + metadata.json) that the deployed endpoint serves.",
)
@click.option("--threshold", type=float, envvar=ENV_THRESHOLD, help="Threshold the workflow uses (0.93).")
@click.option("--limit", type=click.IntRange(1), help="Only the first N test images (default: all).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
def evaluate_command(artifact: Path, limit: int | None, concurrency: int, **values: Any) -> None:
    """Run every staged test image through the deployed workflow; compare with offline evaluation."""
    settings = _settings(**values)
    console = Console()
    with Progress(
        TextColumn("evaluate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("executions", total=limit)

        def done(item: ItemResult) -> None:
            progress.advance(task)

        try:
            report = evaluate_workflow(settings, artifact, limit=limit, concurrency=concurrency, on_done=done)
        except WorkflowError as exc:
            raise click.ClickException(str(exc)) from exc
    render.print_evaluation(console, report, settings.threshold)
    if report.problems:
        raise click.ClickException(
            f"{len(report.problems)} image(s) differ between the deployed workflow and offline evaluation"
        )


commands: list[click.Command] = [evaluate_command]
