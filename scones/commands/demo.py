"""CLI command: ``scones demo`` — the whole workflow end to end on the local stack (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from scones import config as cfg
from scones import render
from scones.commands.options import pass_config, resolve
from scones.config import Config
from scones.demo import DemoSettings, run_demo
from scones.stack import StackError
from scones.workflow.errors import WorkflowError


@click.command("demo")
@click.option(
    "--archive",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Local CIFAR-100 python archive (offline users; no md5 check). Default: the official download. "
    f"Env {cfg.CIFAR_ARCHIVE.name}.",
)
@click.option(
    "--tiny", is_flag=True, help="CI-sized: tiny training and a short evaluation (about 2 minutes)."
)
@click.option("--port", type=int, help="LocalStack port (default 4566 if free, else a free port).")
@click.option("--batch", type=click.IntRange(1), default=20, show_default=True, help="Images for `run`.")
@click.option("--evaluate-limit", type=click.IntRange(1), help="Evaluate only the first N test images.")
@pass_config
def demo_command(
    config: Config, archive: Path | None, tiny: bool, port: int | None, batch: int, evaluate_limit: int | None
) -> None:
    """Stage → train → up → deploy → run → evaluate → monitor → cleanup → down, with progress."""
    from training.exceptions import TrainingError

    archive = resolve(config, cfg.CIFAR_ARCHIVE, archive)
    if archive is not None and not archive.is_file():
        raise click.BadParameter(
            f"{archive} ({cfg.CIFAR_ARCHIVE.name}) is not a file", param_hint="--archive"
        )

    console = Console()
    settings = DemoSettings(archive=archive, tiny=tiny, port=port, batch=batch, evaluate_limit=evaluate_limit)
    try:
        result = run_demo(settings, console)
    except (StackError, WorkflowError, TrainingError) as exc:
        raise click.ClickException(str(exc)) from exc
    render.demo_summary(console, result.steps, result.report_html)
    if result.evaluation is not None and result.evaluation.problems:
        raise click.ClickException("the deployed workflow disagrees with offline evaluation (see above)")


commands: list[click.Command] = [demo_command]
