"""Root click group of the ``sessionoptimizer`` command."""

from __future__ import annotations

import click

from .._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sessionoptimizer")
def cli() -> None:
    """SessionOptimizer: find where an AI agent's tokens and money were wasted."""


def main() -> None:
    """Console-script entry point."""
    cli()
