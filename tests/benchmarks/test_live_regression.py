"""CI guard for the live-analysis ratios in docs/performance.md (recording with live analysis on vs off).

A short run (10,000 events, fresh processes) of ``benchmarks/bench_live_analysis.py`` fails only when a ratio is
more than 2x the figure in ``benchmarks/documented_live.json`` (measured at the same size); about ten seconds.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
TOLERANCE = 2.0
DOCUMENTED: dict[str, float] = {
    k: v for k, v in json.loads((BENCH / "documented_live.json").read_text()).items() if not k.startswith("_")
}


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    """One off/on pair of fresh processes recording 10,000 events."""
    return dict(_load("bench_live_analysis").measure(10_000, 1))


@pytest.mark.parametrize("name", ["cpu_ratio", "growth_ratio"])
def test_live_analysis_ratio_within_twice_the_documented_figure(measured: dict[str, Any], name: str) -> None:
    """Live analysis has not made recording more than 2x costlier (CPU, memory growth) than documented."""
    limit = DOCUMENTED[name] * TOLERANCE
    assert measured[name] <= limit, f"{name}: {measured[name]:.2f}x vs documented {DOCUMENTED[name]:.2f}x"
