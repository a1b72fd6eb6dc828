"""Memory: RSS growth while streaming 100,000 events, and while holding 10,000 open sessions.

Run: ``python benchmarks/bench_memory.py [--events 100000] [--sessions 10000] [--rounds 3]``. Each scenario runs in
a fresh subprocess (RSS from /proc via psutil, after imports and a warm-up); the baseline is a plain OTel SDK
provider streaming the same number of spans through a BatchSpanProcessor with a drop exporter.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import otel_provider, print_table, quiet_env, save

MB = 1024 * 1024


def _rss() -> int:
    import psutil  # type: ignore[import-untyped]

    return int(psutil.Process().memory_info().rss)


def work(x: int) -> int:
    return x + 1


def scenario(name: str, n: int) -> dict[str, Any]:
    """Run one scenario in this process; return RSS growth and peak growth in bytes."""
    quiet_env()
    import gc

    from sessionoptimizer_sdk import SessionOptimizer

    peak = 0
    if name == "otel":
        provider, _ = otel_provider()
        tracer = provider.get_tracer("bench")
        gc.collect()
        start = _rss()
        for i in range(n):
            with tracer.start_as_current_span("execute_tool work") as span:
                span.set_attribute("bench.arg", i)
            if i % 5000 == 0:
                peak = max(peak, _rss() - start)
        provider.force_flush()
    elif name == "stream":
        opt = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-mem-"))
        tool = opt.tool(work)
        with opt.session("bench", "memory", model="m"):
            for i in range(1000):
                tool(i)
            opt.flush(60)
            gc.collect()
            start = _rss()
            for i in range(n):
                tool(i)
                if i % 5000 == 0:
                    peak = max(peak, _rss() - start)
            opt.flush(120)
    elif name == "sessions":
        opt = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-mem-"))
        opt.end_session(opt.start_session("warm", "up").id)
        gc.collect()
        start = _rss()
        for i in range(n):
            opt.start_session("bench", f"open session {i}", model="m", session_id=f"bench_{i:06d}")
            if i % 500 == 0:
                peak = max(peak, _rss() - start)
        opt.flush(60)
    else:
        raise SystemExit(f"unknown scenario {name}")
    gc.collect()
    end = _rss() - start
    return {"growth": end, "peak": max(peak, end)}


def run_child(name: str, n: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--n", str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(scenario(args.child, args.n)))
        return {}
    runs: dict[str, list[dict[str, Any]]] = {"otel": [], "stream": [], "sessions": []}
    for _ in range(args.rounds):
        runs["otel"].append(run_child("otel", args.events))
        runs["stream"].append(run_child("stream", args.events))
        runs["sessions"].append(run_child("sessions", args.sessions))
    med = {
        k: {m: statistics.median(r[m] for r in v) / MB for m in ("growth", "peak")} for k, v in runs.items()
    }
    print_table(
        f"Memory (RSS), median of {args.rounds} fresh processes",
        ["scenario", "growth after (MB)", "peak growth (MB)"],
        [
            (
                f"plain OTel: {args.events:,} spans, BatchSpanProcessor (baseline)",
                med["otel"]["growth"],
                med["otel"]["peak"],
            ),
            (
                f"SessionOptimizer: streaming {args.events:,} @tool events into one session",
                med["stream"]["growth"],
                med["stream"]["peak"],
            ),
            (
                f"SessionOptimizer: {args.sessions:,} open sessions held",
                med["sessions"]["growth"],
                med["sessions"]["peak"],
            ),
        ],
    )
    if args.save:
        save("memory", med)
    return med


if __name__ == "__main__":
    main()
