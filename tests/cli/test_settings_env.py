"""Numeric ``SESSIONOPTIMIZER_*`` settings: NaN, infinity and absurd sizes are refused (exit 2), sane ones kept."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import ConfigurationError

_BAD = [
    ("SESSIONOPTIMIZER_FLUSH_INTERVAL", "inf"),
    ("SESSIONOPTIMIZER_FLUSH_INTERVAL", "nan"),
    ("SESSIONOPTIMIZER_FLUSH_INTERVAL", "1e400"),
    ("SESSIONOPTIMIZER_QUEUE_SIZE", "inf"),
    ("SESSIONOPTIMIZER_QUEUE_SIZE", "nan"),
    ("SESSIONOPTIMIZER_QUEUE_SIZE", "1e12"),
    ("SESSIONOPTIMIZER_QUEUE_SIZE", "2.5"),
    ("SESSIONOPTIMIZER_BLOCK_TIMEOUT", "nan"),
    ("SESSIONOPTIMIZER_BLOCK_TIMEOUT", "-inf"),
    ("SESSIONOPTIMIZER_MONTHLY_BUDGET", "nan"),
    ("SESSIONOPTIMIZER_MONTHLY_BUDGET", "1e400"),
    ("SESSIONOPTIMIZER_MONTHLY_BUDGET", "-1"),
]


@pytest.mark.parametrize(("name", "raw"), _BAD)
def test_non_finite_or_absurd_setting_is_a_configuration_error(
    name: str, raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NaN, infinite, fractional-count or out-of-range numeric setting raises ConfigurationError naming it."""
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env()
    assert f"{name}={raw!r}" in str(caught.value)


@pytest.mark.parametrize(("name", "raw"), _BAD)
def test_cli_refuses_a_bad_setting_with_exit_2_and_stores_nothing(
    name: str, raw: str, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    """`start` under a bad numeric setting exits 2 with one line naming the variable and value."""
    monkeypatch.setenv(name, raw)
    result = run("start", "ATLAS", "bad setting")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {name}={raw!r} ") and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert not (home / "sessionoptimizer.db").exists()


def test_sane_numeric_settings_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finite in-range values are read as given (``1e4`` is a whole queue size)."""
    for name, raw in (
        ("SESSIONOPTIMIZER_FLUSH_INTERVAL", "0.5"),
        ("SESSIONOPTIMIZER_QUEUE_SIZE", "1e4"),
        ("SESSIONOPTIMIZER_BLOCK_TIMEOUT", "0"),
        ("SESSIONOPTIMIZER_MONTHLY_BUDGET", "250"),
    ):
        monkeypatch.setenv(name, raw)
    settings = Settings.from_env()
    assert (settings.flush_interval, settings.queue_size, settings.block_timeout) == (0.5, 10_000, 0.0)
    assert settings.monthly_budget_usd == 250.0


def test_infinite_queue_size_in_a_real_process_exits_2_without_traceback(home: Path) -> None:
    """`sessionoptimizer start` with SESSIONOPTIMIZER_QUEUE_SIZE=inf exits 2 with one line, no OverflowError."""
    env = {**os.environ, "SESSIONOPTIMIZER_QUEUE_SIZE": "inf"}
    result = subprocess.run(
        [sys.executable, "-m", "sessionoptimizer_sdk.cli", "start", "ATLAS", "t"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == "error: SESSIONOPTIMIZER_QUEUE_SIZE='inf' is not a finite number\n"
