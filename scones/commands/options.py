"""Options and helpers several commands share: the resolved ``Config``, the target options, the threshold.

Why its own module: deploy, run, evaluate and cleanup take the same five target options and build the same
``WorkflowSettings``; they import them from here rather than from each other. Options carry no ``envvar``:
an option left out is ``None``, and ``scones.config`` resolves it (environment, then default) so that
every variable, its old name and its default live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from local_endpoint.artifact import DEFAULT_THRESHOLD
from scones import config as cfg
from scones.config import Config
from scones.workflow.settings import Target, WorkflowSettings, settings_from

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# Commands receive the Config the `scones` group built from the environment once (scones/cli.py).
pass_config = click.make_pass_decorator(Config)


def target_options(func: F) -> F:
    """--target, --region, --endpoint-url, --project, --bucket (each also read from its SCONES_ variable)."""
    options = [
        click.option(
            "--target",
            type=click.Choice([t.value for t in Target]),
            help=f"Where to act: local (LocalStack, the default) or aws. Env {cfg.TARGET.name}.",
        ),
        click.option(
            "--region", help=f"AWS region (local default {cfg.DEFAULT_REGION}). Env {cfg.REGION.name}."
        ),
        click.option(
            "--endpoint-url",
            help="The stack's gateway URL, as the AWS CLI's --endpoint-url: where the local target's AWS "
            "calls go (LocalStack), not a SageMaker endpoint. "
            f"Env {cfg.ENDPOINT_URL.name}, else {cfg.AWS_ENDPOINT_URL.name}, "
            f"else {cfg.DEFAULT_LOCAL_ENDPOINT}.",
        ),
        click.option(
            "--project",
            help=f"Name prefix and scones:project tag (default {cfg.PROJECT.default}). "
            f"Env {cfg.PROJECT.name}.",
        ),
        click.option("--bucket", help=f"S3 bucket (default <project>-workflow). Env {cfg.BUCKET.name}."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def threshold_option(what: str) -> Callable[[F], F]:
    """--threshold, a probability; the default is the model artifact contract's."""
    return click.option(
        "--threshold",
        type=click.FloatRange(0.0, 1.0),
        help=f"{what} (default {DEFAULT_THRESHOLD}). Env {cfg.THRESHOLD.name}.",
    )


def workflow_settings(config: Config, **values: Any) -> WorkflowSettings:
    """The settings deploy, run, evaluate and cleanup act on; a value that cannot be used is a usage error."""
    try:
        return settings_from(config, **values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def resolve(
    config: Config, variable: cfg.Variable[T], explicit: T | None = None, *, command: str | None = None
) -> T:
    """``config.get`` for a command: an unusable environment value is a usage error, not a traceback."""
    try:
        return config.get(variable, explicit, command=command)
    except cfg.ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
