"""The `scones` command line: a click group whose subcommands call library functions."""

from __future__ import annotations

import click

from scones.commands import cleanup, demo, evaluate, report, stack, training, workflow


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scones")
def cli() -> None:
    """Run the Scones Unlimited ML workflow locally (LocalStack, no Docker) or on AWS."""


for _module in (stack, training, workflow, evaluate, report, cleanup, demo):
    for _command in _module.commands:
        cli.add_command(_command)


def main() -> None:
    cli()
