"""CLI commands: `scones up`, `scones down`, `scones status` — one local stack per port."""

from __future__ import annotations

import time
from pathlib import Path

import click
import psutil
from rich.console import Console
from rich.table import Table

from scones import config as cfg
from scones import stack
from scones.commands.options import pass_config
from scones.config import Config
from scones.render import print_iam_status
from scones.stack import iam_denials
from scones.stack.errors import StackAlreadyRunningError
from scones.stack.process import known_ports, lambda_sandbox
from scones.stack.settings import StackSettings

console = Console()

port_option = click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help=f"Gateway port of the stack (default {cfg.PORT.default}); several stacks may run on different "
    f"ports. Env {cfg.PORT.name}.",
)


def _settings(
    config: Config, port: int | None, host: str | None = None, timeout: float | None = None
) -> StackSettings:
    try:
        return StackSettings.from_config(config, port=port, host=host, startup_timeout=timeout)
    except cfg.ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


@click.command()
@port_option
@click.option(
    "--host",
    default=None,
    help=f"Bind address of the gateway (default {cfg.HOST.default}). Env {cfg.HOST.name}.",
)
@click.option(
    "--timeout",
    type=float,
    default=None,
    help=f"Seconds to wait for a healthy gateway (default {cfg.STARTUP_TIMEOUT.default:g}). "
    f"Env {cfg.STARTUP_TIMEOUT.name}.",
)
@click.option(
    "--mock-config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Step Functions mock config (Step Functions Local's MockConfigFile format): start an execution "
    "with `<state machine ARN>#<test case>` to run a mocked case (docs/testing.md). "
    f"Env {cfg.SFN_MOCK_CONFIG.name}.",
)
@pass_config
def up(
    config: Config, port: int | None, host: str | None, timeout: float | None, mock_config: Path | None
) -> None:
    """Start LocalStack in host mode (no Docker) with the process Lambda executor and SageMaker."""
    try:
        settings = StackSettings.from_config(
            config, port=port, host=host, startup_timeout=timeout, sfn_mock_config=mock_config
        )
    except cfg.ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    if settings.sfn_mock_config is not None and not settings.sfn_mock_config.is_file():
        # LocalStack would only log it, then answer every mocked case `InvalidName`: say so before it starts.
        raise click.UsageError(
            f"--mock-config / {cfg.SFN_MOCK_CONFIG.name}: no file at {settings.sfn_mock_config}"
        )
    began = time.monotonic()
    try:
        state = stack.start(settings)
    except StackAlreadyRunningError as exc:
        console.print(f"[yellow]{exc}[/yellow]")
        _print_exports(settings.endpoint_url)
        return
    except stack.StackError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(
        f"[green]LocalStack is up[/green] at {state.endpoint_url} (pid {state.pid}, "
        f"{time.monotonic() - began:.1f} s). Log: {state.log_file}"
    )
    _print_exports(settings.endpoint_url)


def _print_exports(endpoint_url: str) -> None:
    console.print("Paste into your shell to point boto3 / the AWS CLI at it:")
    for line in stack.shell_exports(endpoint_url):
        click.echo(line)


@click.command()
@port_option
@pass_config
def down(config: Config, port: int | None) -> None:
    """Stop the stack started by `up` and every process it started (functions, endpoints)."""
    settings = _settings(config, port)
    stopped = stack.stop(settings)
    if stopped:
        console.print(f"Stopped the stack on port {settings.port} ({len(stopped)} process(es)).")
    else:
        console.print(f"No stack runs on port {settings.port}.")


@click.command(name="status")
@port_option
@pass_config
def status_command(config: Config, port: int | None) -> None:
    """Say what runs where: the stack per port, its services and its child processes, whether it enforces
    IAM policies, and the requests it denied (docs/iam.md)."""
    base = _settings(config, port)
    chosen = port is not None or config.is_set(cfg.PORT)  # else every stack this state root knows
    ports = [base.port] if chosen else (known_ports(base.state_root) or [base.port])
    table = Table("port", "state", "pid", "services up", "functions / endpoints", "lambda sandbox", "log")
    iam: list[tuple[int, bool | None, list[iam_denials.Denial]]] = []
    for each in ports:
        current = stack.status(_settings(config, each))
        up_services = sorted(
            name for name, state in current.services.items() if state in ("available", "running")
        )
        if current.running and current.state:
            state = "[green]healthy[/green]" if current.healthy else "[yellow]starting / unhealthy[/yellow]"
            kinds = _child_kinds(current.children)
            enforced = iam_denials.enforcement(current.state.pid)
            since = current.state.started_at
            denials = iam_denials.read_denials(current.settings.iam_deny_log, since) if enforced else []
            iam.append((each, enforced, denials))
            table.add_row(
                str(each),
                state,
                str(current.state.pid),
                ", ".join(up_services),
                kinds,
                lambda_sandbox(current.settings),
                current.state.log_file,
            )
        else:
            table.add_row(str(each), "[dim]stopped[/dim]", "-", "-", "-", "-", "-")
    console.print(table)
    for each, enforced, denials in iam:
        print_iam_status(console, each, enforced, denials, iam_denials.SHOWN)


def _child_kinds(children: list[psutil.Process]) -> str:
    functions = endpoints = 0
    for child in children:
        try:
            cmdline = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "local_endpoint" in cmdline:
            endpoints += 1
        elif _is_function_environment(child, cmdline):
            functions += 1
    return f"{functions} / {endpoints}"


def _is_function_environment(child: psutil.Process, cmdline: str) -> bool:
    """One per environment: an exec'd shim or sandbox launcher, or a child of the runtime zygote;
    not the zygote itself nor the processes a sandbox forks inside (docs/sandbox.md)."""

    def command(proc: psutil.Process | None) -> str:
        return " ".join(proc.cmdline()) if proc is not None else ""

    if "shim" not in cmdline:
        return False
    try:
        parent = child.parent()
        if "shim" not in command(parent):
            return "shim_zygote" not in cmdline
        grandparent = parent.parent() if parent is not None else None
        return "shim_zygote" in command(parent) and "shim" not in command(grandparent)
    except psutil.Error:
        return False


commands: list[click.Command] = [up, down, status_command]
