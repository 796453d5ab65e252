"""The `scones` command line: a click group whose subcommands call library functions.

The group reads the environment once into a ``scones.config.Config`` (``ctx.obj``); every command receives
it and resolves its settings through it. Old variable names still work for one release: their warning
is printed as one line on stderr, whatever the interpreter's warning filters say.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import TextIO

import click

from scones.commands import cleanup, demo, evaluate, report, stack, training, workflow
from scones.config import Config, DeprecatedVariableWarning


@contextlib.contextmanager
def deprecations_on_stderr() -> Iterator[None]:
    """Shows each DeprecatedVariableWarning as ``warning: <message>`` on stderr; other warnings as before."""
    with warnings.catch_warnings():
        warnings.simplefilter("default", DeprecatedVariableWarning)
        previous = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, DeprecatedVariableWarning):
                click.echo(f"warning: {message}", err=True)
            else:
                previous(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scones")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Run the Scones Unlimited ML workflow locally (LocalStack, no Docker) or on AWS."""
    if ctx.obj is None:  # a test may pass its own Config (CliRunner.invoke(..., obj=Config(...)))
        ctx.obj = Config.from_environ()
    ctx.with_resource(deprecations_on_stderr())


for _module in (stack, training, workflow, evaluate, report, cleanup, demo):
    for _command in _module.commands:
        cli.add_command(_command)


def main() -> None:
    cli()
