"""CLI fixtures: a click runner over the ``sessionoptimizer`` group, and a helper that returns parsed JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sessionoptimizer_sdk.cli._app import cli


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the CLI in-process (stdout and stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def run_json(run: Callable[..., Result]) -> Callable[..., Any]:
    """Invoke a command with ``--format json``; assert success and that stdout is JSON only."""

    def invoke(*args: str) -> Any:
        result = run(*args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return invoke
