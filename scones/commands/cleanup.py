"""CLI command: ``scones cleanup`` (thin: find and delete what deploy tagged, then verify)."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlparse

import click
from rich.console import Console

from scones import config as cfg
from scones import stack
from scones.commands.options import pass_config, target_options, workflow_settings
from scones.config import Config
from scones.stack.settings import StackSettings
from scones.workflow.cleanup import cleanup
from scones.workflow.clients import Clients
from scones.workflow.errors import WorkflowError
from scones.workflow.settings import TAG_PROJECT


@click.command("cleanup")
@target_options
@click.option("--dry-run", is_flag=True, help="List what would be removed; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask before deleting (non-interactive use).")
@click.option(
    "--stop-stack/--keep-stack",
    default=None,
    help="Local target: also stop the LocalStack stack afterwards (asked interactively when not given).",
)
@pass_config
def cleanup_command(
    config: Config, /, dry_run: bool, yes: bool, stop_stack: bool | None, **values: Any
) -> None:
    """Delete everything `deploy` created (found by its scones:project tag) and verify nothing is left."""
    settings = workflow_settings(config, **values)
    console = Console()
    clients = Clients(settings)
    try:
        if not settings.is_local:
            clients.check_credentials()
        question = f"Delete every resource tagged {TAG_PROJECT}={settings.project} ({settings.target.value})?"
        if not (yes or dry_run) and not click.confirm(question, default=False):
            raise click.Abort()
        report = cleanup(clients, settings, dry_run=dry_run, log=lambda _: None)
    except WorkflowError as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "would remove" if dry_run else "removed"
    for resource in report.removed:
        console.print(f"{verb} {resource.kind} {resource.name}")
    if not report.removed:
        console.print(f"nothing to remove: no resource is tagged {TAG_PROJECT}={settings.project}")
    elif not dry_run:
        console.print(f"[green]nothing tagged {TAG_PROJECT}={settings.project} is left[/green]")
    if settings.is_local and not dry_run and settings.endpoint_url:
        port = urlparse(settings.endpoint_url).port or cfg.PORT.default
        if stop_stack is None and sys.stdin.isatty():
            stop_stack = click.confirm(f"Stop the local stack on port {port} too?", default=False)
        if stop_stack:
            stopped = stack.stop(StackSettings.from_config(config, port=port))
            console.print(f"stopped the local stack on port {port} ({len(stopped)} process(es))")


commands: list[click.Command] = [cleanup_command]
