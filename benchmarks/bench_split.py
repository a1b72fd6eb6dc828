"""Where a recorded call's time goes: on the caller's thread vs until the row is committed.

Run: ``python benchmarks/bench_split.py [--n 20000] [--rounds 5]``. Prints microseconds per call for a decorated
tool and for ``session.log`` inside an active session (private provider, no exporter), next to a plain OTel SDK
span with a drop exporter measured in the same rounds. Medians of ``--rounds``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence

os.environ.setdefault("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from sessionoptimizer_sdk import EventType, SessionOptimizer


class _Drop(SpanExporter):
    def export(self, spans: Sequence[object]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _otel(n: int) -> float:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(_Drop()))
    tracer = provider.get_tracer("bench")
    t0 = time.perf_counter()
    for i in range(n):
        with tracer.start_as_current_span("call") as span:
            span.set_attribute("a", i)
            span.set_attribute("b", "x")
            span.set_attribute("c", True)
    provider.force_flush()
    elapsed = time.perf_counter() - t0
    provider.shutdown()
    return elapsed / n * 1e6


def _ours(n: int) -> tuple[float, float, float, float]:
    optimizer = SessionOptimizer(tempfile.mkdtemp())

    @optimizer.tool("t")
    def tool(x: int) -> int:
        return x

    with optimizer.session("BENCH", "split timing") as s:
        for i in range(1000):
            tool(i)
        optimizer.flush()
        t0 = time.perf_counter()
        for i in range(n):
            tool(i)
        t1 = time.perf_counter()
        optimizer.flush()
        t2 = time.perf_counter()
        for _ in range(n):
            s.log(EventType.AI_RESPONSE, tokens_output=5)
        t3 = time.perf_counter()
        optimizer.flush()
        t4 = time.perf_counter()
    optimizer.shutdown()
    per = 1e6 / n
    return (t1 - t0) * per, (t2 - t0) * per, (t3 - t2) * per, (t4 - t2) * per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    otel, rows = [], []
    for _ in range(args.rounds):
        otel.append(_otel(args.n))
        rows.append(_ours(args.n))
    base = statistics.median(otel)
    med = [statistics.median(r[i] for r in rows) for i in range(4)]
    print(f"\n### Split timing, median of {args.rounds} rounds x {args.n:,} calls\n")
    print("| case | us/call | ratio to otel span |\n|---|---|---|")
    print(
        f"| otel span (start_as_current_span + 3 attributes, drop exporter, flushed) | {base:.1f} | 1.00x |"
    )
    names = [
        "@tool: caller thread only",
        "@tool: until committed",
        "session.log: caller only",
        "session.log: until committed",
    ]
    for name, value in zip(names, med, strict=True):
        print(f"| {name} | {value:.1f} | {value / base:.2f}x |")


if __name__ == "__main__":
    main()
