"""CLI commands: ``deploy`` and ``run`` (thin: parse options, call scones.workflow, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from scones import config as cfg
from scones import render
from scones.commands.options import pass_config, target_options, threshold_option, workflow_settings
from scones.config import Config
from scones.workflow import build_plan, deploy, run_workflow
from scones.workflow.errors import WorkflowError


@click.command("deploy")
@target_options
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help=f"model.tar.gz or artifact folder (default artifacts/model). Env {cfg.MODEL.name}.",
)
@click.option("--image-uri", help=f"Endpoint container image (required for aws). Env {cfg.IMAGE_URI.name}.")
@threshold_option("Confidence below which an image goes to review")
@click.option("--dry-run", is_flag=True, help="Print the plan without calling anything.")
@pass_config
def deploy_command(config: Config, /, dry_run: bool, **values: Any) -> None:
    """Create or update the bucket, roles, Lambdas, state machine and SageMaker endpoint (idempotent)."""
    settings = workflow_settings(config, **values)
    console = Console()
    if not settings.is_local and not settings.image_uri and not dry_run:
        raise click.UsageError("--target aws needs --image-uri (the local_endpoint image pushed to ECR)")
    if dry_run:
        render.print_plan(console, build_plan(settings))
        return
    try:
        result = deploy(settings, log=render.indented(console))
    except WorkflowError as exc:
        raise click.ClickException(str(exc)) from exc
    render.print_deployed(console, result)


@click.command("run")
@target_options
@click.option(
    "--count", type=click.IntRange(min=1), default=None, help="Random staged test images to classify."
)
@click.option("--key", "keys", multiple=True, help="S3 key to classify (repeatable); overrides --count.")
@click.option("--seed", type=int, default=None, help="Seed for the random choice of images.")
@click.option(
    "--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for all executions."
)
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=8, show_default=True, help="Parallel executions."
)
@pass_config
def run_command(
    config: Config,
    /,
    keys: tuple[str, ...],
    count: int | None,
    seed: int | None,
    timeout: float,
    concurrency: int,
    **values: Any,
) -> None:
    """Start one execution per image and print key, label, prediction, confidence and outcome."""
    if not keys and count is None:
        raise click.UsageError("give --count N or --key KEY")
    settings = workflow_settings(config, **values)
    console = Console()
    try:
        report = run_workflow(
            settings, keys=keys, count=count or 0, seed=seed, timeout=timeout, concurrency=concurrency
        )
    except WorkflowError as exc:
        raise click.ClickException(str(exc)) from exc
    render.print_run(console, report)
    if report.infrastructure_errors:
        raise click.ClickException(f"{report.infrastructure_errors} execution(s) failed or timed out")


commands: list[click.Command] = [deploy_command, run_command]
