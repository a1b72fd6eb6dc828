"""Bad input through the CLI (issue 15, item 8): one error line, exit code 2, nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result


def test_cli_log_refuses_poison_values_with_exit_2(run: Callable[..., Result]) -> None:
    """`log` with a NaN duration or JSON nested 10,000 deep exits 2 with one error line; nothing is stored."""
    sid = run("start", "ATLAS", "cli bad input").stdout.strip()
    deep = "[" * 10_000 + "]" * 10_000
    for args in (("--duration-ms", "nan"), ("--duration-ms", "inf"), ("--data-json", deep)):
        result = run("log", sid, "TOOL_CALL", *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    shown = json.loads(run("show", sid, "--format", "json").stdout)
    assert shown["events"] == [] and shown["session"]["event_count"] == 0
