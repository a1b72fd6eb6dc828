"""CI guard for the live-analysis ratios in docs/performance.md (recording with live analysis on vs off).

A short run (10,000 events, fresh processes) of ``benchmarks/bench_live_analysis.py`` fails only when a ratio is
more than 2x the figure in ``benchmarks/documented_live.json`` (measured at the same size); about ten seconds.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.benchmarks._bench import TOLERANCE, documented, load_bench

DOCUMENTED = documented("documented_live.json")


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    """One off/on pair of fresh processes recording 10,000 events."""
    return dict(load_bench("bench_live_analysis").measure(10_000, 1))


@pytest.mark.parametrize("name", ["cpu_ratio", "growth_ratio", "session_cpu_ratio"])
def test_live_analysis_ratio_within_twice_the_documented_figure(measured: dict[str, Any], name: str) -> None:
    """Live analysis has not made recording more than 2x costlier (CPU, memory growth) than documented."""
    limit = DOCUMENTED[name] * TOLERANCE
    assert measured[name] <= limit, f"{name}: {measured[name]:.2f}x vs documented {DOCUMENTED[name]:.2f}x"
