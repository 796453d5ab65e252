"""CLI commands: stack. Each module exports `commands`, registered by scones.cli."""

from __future__ import annotations

import click

commands: list[click.Command] = []
