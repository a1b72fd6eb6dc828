"""CI guard for the pipeline ratios in docs/performance.md: stored analysis, transcript import and import time.

Each ratio is measured against a baseline in the same run (absolute times are never compared) and fails only when
it is more than 2x the figure in ``benchmarks/documented_pipeline.json``. A few seconds in all.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from sessionoptimizer_sdk.importers.runner import import_paths
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.benchmarks._bench import TOLERANCE, documented, load_bench

DOCUMENTED = documented("documented_pipeline.json")


def _median_ratio(case: Callable[[], float], baseline: Callable[[], float], rounds: int) -> float:
    """Median over interleaved rounds of case seconds / baseline seconds."""
    return statistics.median(case() / baseline() for _ in range(rounds))


def _check(name: str, measured: float) -> None:
    limit = DOCUMENTED[name] * TOLERANCE
    assert measured <= limit, (
        f"{name}: {measured:.2f}x vs documented {DOCUMENTED[name]:.2f}x (limit {limit:.2f}x)"
    )


def test_stored_analysis_costs_little_more_than_the_in_memory_analysis(tmp_path: Path) -> None:
    """analyze(id) end to end (load, analysis, report row and file) stays within 2x its documented cost ratio."""
    stored = load_bench("bench_analyze_stored")
    store, sid = stored.build_store(tmp_path, 5_000)
    reports = tmp_path / "reports"
    stored.stages(store, sid, reports)  # warm-up: price table, page cache
    splits = [stored.stages(store, sid, reports) for _ in range(5)]
    ratio = statistics.median(sum(s.values()) / s["analyze_events"] for s in splits)
    store.close()
    _check("analyze(id) end to end / analyze_events in memory", ratio)


def test_transcript_import_stays_close_to_parsing_its_json(tmp_path: Path) -> None:
    """Importing a Claude Code transcript (parse, store) stays within 2x its documented cost vs decoding its JSON."""
    bench = load_bench("bench_import")
    path = tmp_path / "t" / "a1.jsonl"
    path.parent.mkdir()
    bench.build(path, 3)
    lines = path.read_bytes().splitlines()
    stores = iter(range(100))

    def importing() -> float:
        store = SQLiteStore(tmp_path / f"s{next(stores)}.db")
        start = time.perf_counter()
        summary = import_paths(store, "claude-code", [path])
        elapsed = time.perf_counter() - start
        assert summary.events > 0
        store.close()
        return elapsed

    def decoding() -> float:
        start = time.perf_counter()
        for line in lines:
            orjson.loads(line)
        return time.perf_counter() - start

    importing()
    _check("import_paths (parse, store) / orjson.loads of every line", _median_ratio(importing, decoding, 5))


@pytest.mark.parametrize(
    "module", ["sessionoptimizer_sdk", "sessionoptimizer_sdk:SessionOptimizer"], ids=["import", "from-import"]
)
def test_import_time_stays_close_to_the_otel_sdk(module: str) -> None:
    """Loading the SDK in a fresh interpreter stays within 2x its documented ratio to ``opentelemetry.sdk.trace``."""
    startup = load_bench("bench_startup")
    startup.warm_up((startup.BASELINE, module))  # bytecode, as after a pip install

    def ours() -> float:
        return float(startup.import_seconds(module))

    def otel() -> float:
        return float(startup.import_seconds(startup.BASELINE))

    ratio = _median_ratio(ours, otel, 3)
    _check(f"{startup._statement(module)} / import opentelemetry.sdk.trace", ratio)
