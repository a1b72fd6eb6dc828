"""Root click group of the ``sessionoptimizer`` command: global ``--home``, error handling and exit codes."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .._version import __version__
from ..errors import SessionOptimizerError
from ._common import EXIT_FAILURE, EXIT_OK, CliState, exit_code_for, plain

#: Each command's module (under ``cli``) and attribute: imported when the command runs or ``--help`` lists it,
#: so ``sessionoptimizer import`` does not load the server, hooks or token commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "advise": ("_advise_cmds", "advise"),
    "analyze": ("_report_cmds", "analyze"),
    "compare": ("_read_cmds", "compare"),
    "connect": ("_connect_cmds", "connect"),
    "delete": ("_session_cmds", "delete"),
    "doctor": ("_ops_cmds", "doctor"),
    "end": ("_session_cmds", "end"),
    "export": ("_report_cmds", "export"),
    "hooks": ("_hooks_cmds", "hooks"),
    "import": ("_import", "import_command"),
    "list": ("_read_cmds", "list_sessions"),
    "log": ("_session_cmds", "log"),
    "migrate": ("_migrate_cmd", "migrate"),
    "monitor": ("_ops_cmds", "monitor"),
    "serve": ("_ops_cmds", "serve"),
    "show": ("_read_cmds", "show"),
    "start": ("_session_cmds", "start"),
    "stats": ("_read_cmds", "stats"),
    "token": ("_token_cmds", "token"),
}


class _Group(click.Group):
    """A group whose errors print one line on stderr (no traceback) and exit 0/1/2 as documented."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, without importing any command module."""
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The named command, its module imported on first use."""
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f".{module}", __package__), attr)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; with ``standalone_mode`` exit the process with the documented code."""
        code = EXIT_OK
        try:
            result = super().main(
                args, prog_name or "sessionoptimizer", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else EXIT_OK
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except (click.Abort, KeyboardInterrupt, EOFError):
            click.echo("Aborted.", err=True)
            code = EXIT_FAILURE
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"error: {exc.format_message()}{hint}", err=True)
            code = exit_code_for(exc)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            code = exit_code_for(exc)
        except SessionOptimizerError as exc:
            click.echo(f"error: {plain(exc)}", err=True)
            code = exit_code_for(exc)
        except Exception as exc:  # the documented contract: one line, exit 1, traceback only on request
            if os.environ.get("SESSIONOPTIMIZER_DEBUG") == "1":
                traceback.print_exc()
            click.echo(f"error: {type(exc).__name__}: {plain(exc)}", err=True)
            code = EXIT_FAILURE
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sessionoptimizer")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SESSIONOPTIMIZER_HOME",
    help="Store folder (default $SESSIONOPTIMIZER_HOME or ~/.sessionoptimizer).",
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    envvar="SESSIONOPTIMIZER_STORE",
    help="Store URL: postgresql://user@host:port/db or sqlite:///path (default: SQLite in the home folder).",
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None, store_url: str | None) -> None:
    """SessionOptimizer: find where an AI agent's tokens and money were wasted.

    Exit codes: 0 ok, 1 failure, 2 usage error or bad input (unknown session, event type, bad JSON...).
    """
    state = CliState(home, store_url or None)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    """Console-script entry point (a command that allowed it ends without the interpreter's teardown)."""
    from . import _exit

    _exit.reset()
    try:
        cli()
    except SystemExit as exc:
        if isinstance(exc.code, int) and _exit.fast_exit_allowed():
            _exit.leave(exc.code)
        raise
