"""Shared helpers for the benchmark scripts: interleaved repeats, per-repeat ratios, medians, table printing.

Absolute times drift on a shared machine, so every case is run once per round (round-robin) and each figure is
the median over rounds of (case time / baseline time measured in the same round).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


class DropExporter(SpanExporter):
    """Accepts every batch and keeps nothing (the cheapest possible exporter), counting spans seen."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def otel_provider(**bsp: Any) -> tuple[TracerProvider, DropExporter]:
    """A plain OTel SDK provider with a BatchSpanProcessor feeding a drop exporter (never installed globally)."""
    exporter = DropExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(exporter, **bsp))
    return provider, exporter


def quiet_env(home: str | None = None) -> str:
    """Point SessionOptimizer at a fresh temporary home, no OTLP export, no auto-analysis; return the home."""
    home = home or tempfile.mkdtemp(prefix="so-bench-")
    os.environ["SESSIONOPTIMIZER_HOME"] = home
    os.environ.setdefault("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
    os.environ["SESSIONOPTIMIZER_SIGTERM"] = "0"
    for var in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        os.environ.pop(var, None)
    return home


@dataclass
class Case:
    """One measured thing: ``run(n)`` performs n operations, then ``finish()`` (e.g. a flush) is timed too.

    ``setup``/``teardown`` run around each timed block, untimed (e.g. entering and leaving a session).
    """

    name: str
    run: Callable[[int], Any]
    baseline: str | None = None
    finish: Callable[[], Any] | None = None
    setup: Callable[[], Any] | None = None
    teardown: Callable[[], Any] | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)


def measure(cases: Sequence[Case], n: int, rounds: int, *, warmup: int = 1) -> None:
    """Run each case ``rounds`` times round-robin, recording seconds per operation."""
    for r in range(warmup + rounds):
        for case in cases:
            if case.setup is not None:
                case.setup()
            gc.collect()
            t0 = time.perf_counter()
            case.run(n)
            if case.finish is not None:
                case.finish()
            elapsed = time.perf_counter() - t0
            if case.teardown is not None:
                case.teardown()
            if r >= warmup:
                case.samples.append(elapsed / n)


def summarize(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """Per case: median us/op and median over rounds of the ratio to its baseline case."""
    by_name = {c.name: c for c in cases}
    rows = []
    for case in cases:
        row: dict[str, Any] = {
            "case": case.name,
            "us": statistics.median(case.samples) * 1e6,
            "note": case.note,
        }
        if case.baseline:
            base = by_name[case.baseline].samples
            ratios = [a / b for a, b in zip(case.samples, base, strict=True)]
            row["baseline"] = case.baseline
            row["ratio"] = statistics.median(ratios)
        rows.append(row)
    return rows


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a GitHub-flavoured markdown table."""
    print(f"\n### {title}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(_fmt(v) for v in row) + " |")
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def save(name: str, payload: Any) -> Path:
    """Write a benchmark's raw results to benchmarks/results/<name>.json (for the docs and the CI check)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    meta = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "time": time.strftime("%Y-%m-%d %H:%M")}
    path.write_text(json.dumps({"meta": meta, "results": payload}, indent=2) + "\n")
    return path
