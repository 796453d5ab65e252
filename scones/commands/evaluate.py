"""CLI command: ``scones evaluate`` (thin: run the test split, print workflow vs offline metrics)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scones import config as cfg
from scones import render
from scones.commands.options import pass_config, resolve, target_options, threshold_option, workflow_settings
from scones.config import Config
from scones.evaluation import evaluate_workflow
from scones.workflow.errors import WorkflowError
from scones.workflow.run import ItemResult


@click.command("evaluate")
@target_options
@click.option(
    "--model",
    "artifact",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Artifact directory (model.onnx + metadata.json) that the deployed endpoint serves "
    f"(default artifacts/model). Env {cfg.MODEL.name}.",
)
@threshold_option("Threshold the workflow uses")
@click.option("--limit", type=click.IntRange(1), help="Only the first N test images (default: all).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@pass_config
def evaluate_command(
    config: Config, /, artifact: Path | None, limit: int | None, concurrency: int, **values: Any
) -> None:
    """Run every staged test image through the deployed workflow; compare with offline evaluation."""
    settings = workflow_settings(config, **values)
    artifact = resolve(config, cfg.MODEL, artifact, command="evaluate")
    if not artifact.is_dir():
        raise click.BadParameter(f"{artifact} is not an artifact directory", param_hint="--model")
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
