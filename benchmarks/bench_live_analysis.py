"""Live analysis: recording 100,000 events with live (provisional) analysis on vs off, and alert latency.

Run: ``python benchmarks/bench_live_analysis.py [--events 100000] [--rounds 3]``. Each scenario runs in a fresh
subprocess: a session records ``--events`` decorated tool calls (plus a model call every 10) and then waits for
the store and the analysis (``flush(analysis=True)``); live analysis is on, or off
(``SESSIONOPTIMIZER_LIVE_ANALYSIS=0``: analysis only when the session ends). It reports the process CPU time (all
threads) of the burst and of the whole session (the burst, the session's end and its final report: on, finalized
from the live state; off, the stored events analyzed), the RSS growth and its peak; the ratios on/off are the
targets (<= 1.10x CPU, <= 1.5x memory growth). Latency: after the burst (and in a 1,000-event session), the
time from logging a model call to a provisional report that counts it reaching a report listener (target < 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_table, quiet_env, save

MB = 1024 * 1024


def _rss() -> int:
    """Resident set size in bytes (Linux /proc, no psutil needed)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def work(x: int) -> int:
    return x + 1


def _latency(opt: Any, sid: str, seen: list[int], arrived: threading.Event) -> float:
    """Seconds from logging one model call to a provisional report that counts it."""
    from sessionoptimizer_sdk import EventType

    target = (
        opt.store.count_events(sid) + 1
    )  # a count, not a load of every event (that is not the SDK's cost)
    arrived.clear()
    seen.append(target)
    start = time.perf_counter()
    opt.log_event(sid, EventType.AI_RESPONSE, tokens_input=10, tokens_output=5)
    if not arrived.wait(120):
        return float("nan")
    return time.perf_counter() - start


def scenario(mode: str, n: int) -> dict[str, Any]:
    """Record ``n`` events with live analysis ``mode`` (on/off) in this process; CPU, RSS and latency."""
    os.environ["SESSIONOPTIMIZER_AUTO_ANALYZE"] = "1"  # final reports in both modes
    os.environ["SESSIONOPTIMIZER_LIVE_ANALYSIS"] = "1" if mode == "on" else "0"
    quiet_env()
    import gc

    from sessionoptimizer_sdk import EventType, SessionOptimizer

    opt = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-live-"))
    seen: list[int] = []
    arrived = threading.Event()

    def listener(report: Any) -> None:
        if seen and report.event_count >= seen[-1]:
            arrived.set()

    opt.add_report_listener(listener)
    tool = opt.tool(work)
    out: dict[str, Any] = {}
    with opt.session("bench", "live analysis", model="claude-sonnet-4-5") as session:
        for i in range(1000):
            tool(i)
        opt.flush(60, analysis=True)
        if mode == "on":
            time.sleep(1.1)  # past the provisional rate limit of the warm-up's analysis
            out["latency_1k"] = _latency(opt, session.id, seen, arrived)
        gc.collect()
        start_rss, start_cpu, start_wall = _rss(), time.process_time(), time.perf_counter()
        peak = 0
        for i in range(n):
            tool(i)
            if i % 10 == 0:
                opt.log_event(session.id, EventType.AI_RESPONSE, tokens_input=100, tokens_output=20)
            if i % 5000 == 0:
                peak = max(peak, _rss() - start_rss)
        opt.flush(300, analysis=mode == "on")
        out["cpu"] = time.process_time() - start_cpu
        out["wall"] = time.perf_counter() - start_wall
        gc.collect()
        out["growth"] = _rss() - start_rss
        out["peak"] = max(peak, out["growth"])
        if mode == "on":
            out["latency_burst"] = _latency(opt, session.id, seen, arrived)
            out["reloads"] = opt._runner.reloads if opt._runner is not None else 0
            if opt._runner is not None:
                r = opt._runner
                out["handed"], out["read_back"], out["absorbed"] = r.handed, r.read_back, r.absorbed
                out["dropped_rows"] = r.handover.dropped_rows
    # the session ended: its final report (on: finalized from the live state; off: the stored events analyzed)
    opt.flush(300, analysis=True)
    out["cpu_session"] = time.process_time() - start_cpu
    out["finalized_live"] = opt._runner.finalized_live if opt._runner is not None else 0
    opt.shutdown()
    return out


def run_child(mode: str, n: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--n", str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def measure(events: int, rounds: int) -> dict[str, Any]:
    """Alternate off/on fresh processes ``rounds`` times; medians and the on/off ratios."""
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            runs[mode].append(run_child(mode, events))
    med = {m: {k: statistics.median(r[k] for r in v) for k in v[0]} for m, v in runs.items()}
    off, on = med["off"], med["on"]
    return {
        "events": events,
        "rounds": rounds,
        "off": off,
        "on": on,
        "cpu_ratio": on["cpu"] / off["cpu"],
        "session_cpu_ratio": on["cpu_session"] / off["cpu_session"],
        "growth_ratio": on["growth"] / max(off["growth"], 1),
        "peak_ratio": on["peak"] / max(off["peak"], 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(scenario(args.child, args.n)))
        return {}
    res = measure(args.events, args.rounds)
    off, on = res["off"], res["on"]
    print_table(
        f"Live analysis, {args.events:,} decorated calls (+1 model call per 10), median of {args.rounds}",
        [
            "live analysis",
            "burst CPU (s)",
            "burst wall (s)",
            "RSS growth (MB)",
            "peak growth (MB)",
            "whole session CPU (s)",
        ],
        [
            [
                m,
                f"{r['cpu']:.2f}",
                f"{r['wall']:.2f}",
                f"{r['growth'] / MB:.1f}",
                f"{r['peak'] / MB:.1f}",
                f"{r['cpu_session']:.2f}",
            ]
            for m, r in (("off", off), ("on", on))
        ],
    )
    print(
        f"\nCPU on/off during the burst {res['cpu_ratio']:.2f}x, whole session (burst, end, final report) "
        f"{res['session_cpu_ratio']:.2f}x (target <= 1.10x; final reports from the live state: "
        f"{on['finalized_live']:.0f}); RSS growth on/off {res['growth_ratio']:.2f}x, "
        f"peak {res['peak_ratio']:.2f}x (target <= 1.5x)\n"
        f"provisional report latency: {on['latency_1k']:.3f} s in a 1,000-event session, "
        f"{on['latency_burst']:.3f} s after the burst (target < 1 s); full reloads: {on['reloads']}; "
        f"reports that read the store: {on['read_back']:.0f}, fed from the writer's rows: {on['handed']:.0f} "
        f"(+{on['absorbed']:.0f} feeds between reports), rows let go: {on['dropped_rows']:.0f}"
    )
    if args.save:
        save("live_analysis", res)
    return res


if __name__ == "__main__":
    main()
