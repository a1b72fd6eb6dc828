"""Shared CLI plumbing: the per-invocation optimizer, output helpers, time parsing and exit codes.

Exit codes: 0 ok; 1 failure (store unreadable, analysis error, anything unexpected); 2 usage or bad input
(unknown session, unknown event type, negative tokens, bad JSON, bad option or setting).
Errors print one line on stderr.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .._internal.terminal import escape_control, escape_control_in_document, escape_control_in_json
from ..errors import (
    ConfigurationError,
    InvalidInputError,
    SessionAlreadyExists,
    SessionNotActive,
    SessionNotFound,
    SessionOptimizerError,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..optimizer import SessionOptimizer

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "CliState",
    "escape",
    "exit_code_for",
    "finite_seconds",
    "format_option",
    "get_state",
    "parse_when",
    "plain",
    "print_document",
    "print_json",
    "stdout_console",
]

FC = TypeVar("FC", bound=Callable[..., Any])
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
#: Bounds of ``--limit`` and ``--offset`` (as the REST API's events endpoint: past them, a typo or an overflow).
MAX_LIMIT = 10_000
MAX_OFFSET = 10**9
_BAD_INPUT = (ConfigurationError, InvalidInputError, SessionNotFound, SessionNotActive, SessionAlreadyExists)


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an exception escaping a command."""
    if isinstance(exc, (*_BAD_INPUT, click.UsageError)):
        return EXIT_USAGE
    if isinstance(exc, click.ClickException):
        return exc.exit_code
    return EXIT_FAILURE


@dataclass(slots=True)
class CliState:
    """Per-invocation state: the store folder and a lazily opened optimizer, shut down when the command ends."""

    home: Path | None = None
    store_url: str | None = None
    _optimizer: SessionOptimizer | None = field(default=None, repr=False)

    def optimizer(self) -> SessionOptimizer:
        """The optimizer over ``home`` (opened on first use; its writes are flushed when the command exits)."""
        if self._optimizer is None:
            from ..optimizer import SessionOptimizer

            self._optimizer = SessionOptimizer(self.home, store=self.store_url)
        return self._optimizer

    def close(self) -> None:
        """Flush and stop the optimizer if one was opened."""
        if self._optimizer is not None:
            self._optimizer.shutdown(timeout=30)
            self._optimizer = None


def get_state() -> CliState:
    """The current invocation's :class:`CliState`."""
    state = click.get_current_context().find_object(CliState)
    if state is None:  # a command invoked outside the group (tests)
        state = CliState()
    return state


def stdout_console() -> Console:
    """A rich console on the current stdout (colour only on a terminal, wide when piped).

    rich is loaded here, not with this module: commands that print JSON or nothing never load it (~20 ms of
    start-up; ``tests/test_lazy_imports.py``).
    """
    from rich.console import Console

    return Console(
        file=sys.stdout, highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200
    )


def plain(value: object) -> str:
    r"""``value`` as text safe for a terminal: control characters shown as escapes (``\x1b``)."""
    return escape_control(str(value))


def new_table(*headers: str, **options: Any) -> Table:
    """A rich table (rich loaded with the first table, so JSON output never pays for it; see stdout_console)."""
    from rich.table import Table

    return Table(*headers, **options)


def escape(value: object) -> str:
    """``value`` safe for rich markup and for a terminal (the one helper for untrusted text in CLI output)."""
    from rich.markup import escape as markup_escape  # loaded with the first rich output (see stdout_console)

    return markup_escape(escape_control(str(value)))


def print_json(data: Any) -> None:
    """Print ``data`` as JSON only (valid JSON: non-finite floats refused, every control character escaped)."""
    from ..server.serialize import clean

    click.echo(
        escape_control_in_json(
            json.dumps(clean(data), indent=2, ensure_ascii=False, allow_nan=False, default=str)
        )
    )


def print_document(text: str, fmt: str) -> None:
    """Print a rendered report (json, markdown, html, text) with control characters made visible."""
    click.echo(escape_control_in_json(text) if fmt == "json" else escape_control_in_document(text))


def format_option(*choices: str, default: str = "text") -> Callable[[FC], FC]:
    """A ``--format`` option restricted to ``choices``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices, case_sensitive=False),
        default=default,
        show_default=True,
        help="Output format (json prints machine-readable JSON only).",
    )


_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(value: str, *, now: datetime | None = None) -> datetime:
    """``30m``, ``24h``, ``7d``, ``2w`` (ago), or an ISO date/datetime (naive = local time), as aware UTC.

    A time a datetime cannot hold (``99999999999d``, year 0 in UTC) is bad input (exit 2), not an overflow.
    """
    match = _RELATIVE.match(value)
    if not match:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInputError(
                f"cannot read time {value!r}: use 30m, 24h, 7d, 2w or an ISO date"
            ) from None
    try:
        if match:
            amount, unit = int(match.group(1)), match.group(2).lower()
            moment = (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
        else:
            moment = (parsed if parsed.tzinfo else parsed.astimezone()).astimezone(UTC)
        moment.timestamp()  # the store compares epoch seconds
    except (OverflowError, ValueError, OSError):
        raise InvalidInputError(
            f"time {value!r} is out of range: use a time between years 1 and 9999"
        ) from None
    return moment


def finite_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Click callback refusing NaN and infinity, which ``FloatRange`` lets through (every comparison is False)."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number of seconds", ctx, param)
    return value


def fail(message: str) -> SessionOptimizerError:
    """An InvalidInputError with ``message`` (exit code 2) for a command to raise."""
    return InvalidInputError(message)
