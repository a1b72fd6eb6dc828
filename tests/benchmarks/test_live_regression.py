"""CI guard for the live-analysis ratios in docs/performance.md (recording with live analysis on vs off).

A short run (10,000 events, fresh processes) of ``benchmarks/bench_live_analysis.py`` fails only when a ratio is
more than 2x the figure in ``benchmarks/documented_live.json`` (measured at the same size); about ten seconds. So
does one provisional report's cost beside 2,000 other sessions, or at 5x the events with a subagent, over the
same report of a session alone (a few seconds), and settling a live report's findings with the last report's
settlements kept, over settling every claim again (under a second).
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


@pytest.fixture(scope="module")
def report_ratios() -> dict[str, float]:
    """One provisional report's CPU beside 2,000 sessions / at 25,000 events with a subagent, over alone."""
    return dict(load_bench("bench_live_analysis").report_ratios(5_000, 2_000, 500))


@pytest.mark.parametrize("name", ["report_sessions_ratio", "report_subagent_ratio"])
def test_a_live_report_stays_flat_as_the_store_and_session_grow(
    report_ratios: dict[str, float], name: str
) -> None:
    """A live report costs about the same beside many sessions or with a subagent as alone (within 2x of documented)."""
    limit = DOCUMENTED[name] * TOLERANCE
    assert report_ratios[name] <= limit, (
        f"{name}: {report_ratios[name]:.2f}x vs documented {DOCUMENTED[name]:.2f}x"
    )


def test_a_live_report_reuses_what_the_last_one_settled() -> None:
    """Settling 400 findings whose last claim changed costs what documented (not all their claims again)."""
    ratio = load_bench("bench_live_analysis").settlement_ratio()
    limit = DOCUMENTED["settlement_ratio"] * TOLERANCE
    assert ratio <= limit, (
        f"settlement_ratio: {ratio:.2f}x vs documented {DOCUMENTED['settlement_ratio']:.2f}x"
    )
