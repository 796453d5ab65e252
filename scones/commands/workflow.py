"""CLI commands: ``deploy`` and ``run`` (thin: parse options, call scones.workflow, print)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from scones import render
from scones.workflow import build_plan, deploy, run_workflow
from scones.workflow.errors import RunError, WorkflowError
from scones.workflow.settings import (
    ENV_BUCKET,
    ENV_ENDPOINT_URL,
    ENV_IMAGE_URI,
    ENV_MODEL,
    ENV_PROJECT,
    ENV_REGION,
    ENV_TARGET,
    ENV_THRESHOLD,
    Target,
    WorkflowSettings,
    settings_from,
)


def _target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--target",
            type=click.Choice([t.value for t in Target]),
            envvar=ENV_TARGET,
            help="Where to deploy: local (LocalStack) or aws.",
        ),
        click.option("--region", envvar=ENV_REGION, help="AWS region (local default us-east-1)."),
        click.option(
            "--endpoint-url",
            envvar=ENV_ENDPOINT_URL,
            help="LocalStack URL for the local target (else AWS_ENDPOINT_URL, else http://127.0.0.1:4566).",
        ),
        click.option(
            "--project", envvar=ENV_PROJECT, help="Name prefix and scones:project tag (default scones)."
        ),
        click.option("--bucket", envvar=ENV_BUCKET, help="S3 bucket (default <project>-workflow)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _settings(**values: Any) -> WorkflowSettings:
    try:
        return settings_from(os.environ, **values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("deploy")
@_target_options
@click.option(
    "--model",
    envvar=ENV_MODEL,
    type=click.Path(path_type=Path),
    help="model.tar.gz or artifact folder (default artifacts/model).",
)
@click.option("--image-uri", envvar=ENV_IMAGE_URI, help="Endpoint container image (required for aws).")
@click.option("--threshold", type=float, envvar=ENV_THRESHOLD, help="Confidence threshold (default 0.93).")
@click.option("--dry-run", is_flag=True, help="Print the plan without calling anything.")
def deploy_command(dry_run: bool, **values: Any) -> None:
    """Create or update the bucket, roles, Lambdas, state machine and SageMaker endpoint (idempotent)."""
    settings = _settings(**values)
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
@_target_options
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
def run_command(
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
    settings = _settings(**values)
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
__all__ = ["RunError", "commands"]
