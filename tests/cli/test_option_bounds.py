"""Huge, out-of-range or non-finite option values are bad input: exit 2 with one `error:` line, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import Result

from sessionoptimizer_sdk.cli._common import parse_when
from sessionoptimizer_sdk.errors import InvalidInputError

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--since", "99999999999d"),
        ("list", "--since", "10000000w"),
        ("list", "--since", "0001-01-01T00:00:00+05:00"),
        ("list", "--since", "9999-12-31T23:59:59-05:00"),
        ("list", "--since", ""),
        ("list", "--limit", HUGE),
        ("monitor", "--once", "--since", "99999999999d"),
        ("monitor", "--interval", "nan"),
        ("monitor", "--interval", "inf"),
        ("advise", "ATLAS", "--days", "99999999999999"),
        ("stats", "ATLAS", "--days", "36601"),
    ],
)
def test_out_of_range_option_exits_2_with_one_line(args: tuple[str, ...], run: Callable[..., Result]) -> None:
    """Each value too large, too early, empty or non-finite exits 2 with one `error:` line and no output."""
    result = run(*args)
    assert result.exit_code == 2, (args, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("option", ["--limit", "--offset"])
def test_show_refuses_an_offset_or_limit_past_sqlite_integers(
    option: str, run: Callable[..., Result]
) -> None:
    """`show --limit/--offset 99999999999999999999` exits 2 naming the option, not an OverflowError."""
    sid = run("start", "ATLAS", "bounds").stdout.strip()
    result = run("show", sid, option, HUGE)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and f"'{option}" in result.stderr


def test_the_largest_accepted_values_still_work(run: Callable[..., Result]) -> None:
    """The bounds themselves are accepted: a century of days, 10,000 rows, offset 1e9, a century ago."""
    sid = run("start", "ATLAS", "bounds").stdout.strip()
    assert run("stats", "ATLAS", "--days", "36600").exit_code == 0
    assert run("list", "--limit", "10000", "--since", "36600d").exit_code == 0
    assert run("show", sid, "--limit", "10000", "--offset", "1000000000").exit_code == 0


def test_parse_when_reads_relative_and_iso_times() -> None:
    """`7d` is seven days before now, aware ISO times are kept as UTC, and only unrepresentable ones are refused."""
    now = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)
    assert parse_when("7d", now=now) == now - timedelta(days=7)
    assert parse_when("2026-01-20T10:00:00+02:00") == datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
    assert parse_when("1969-12-31T00:00:00+00:00") == datetime(1969, 12, 31, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match="out of range"):
        parse_when("0001-01-01T00:00:00+05:00")
