"""Live analysis: recording 100,000 events with live (provisional) analysis on vs off, and alert latency.

Run: ``python benchmarks/bench_live_analysis.py [--events 100000] [--rounds 3]``. Each scenario runs in a fresh
subprocess: a session records ``--events`` decorated tool calls (plus a model call every 10) and then waits for
the store and the analysis (``flush(analysis=True)``); live analysis is on, or off
(``SESSIONOPTIMIZER_LIVE_ANALYSIS=0``: analysis only when the session ends). It reports the process CPU time (all
threads) of the burst and of the whole session (the burst, the session's end and its final report: on, finalized
from the live state; off, the stored events analyzed), the RSS growth and its peak; the ratios on/off are the
targets (<= 1.10x CPU, <= 1.5x memory growth). Latency: after the burst (and in a 1,000-event session), the
time from logging a model call to a provisional report that counts it reaching a report listener (target < 1 s).

``--sessions 1,50`` (the default) then logs the same events round-robin into 1 and into 50 live sessions at once
(``log_event`` calls; one process, as a team's agents on one machine or a server's ingest would feed it) and prints
the on/off CPU ratio for each: the live analysis should cost the same per event however many sessions are live.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
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


def scenario_many(mode: str, n: int, sessions: int) -> dict[str, Any]:
    """``n`` events logged round-robin into ``sessions`` live sessions at once (a team's agents in one process).

    Every event goes through ``log_event`` (a tool call, plus a model call every 10), so one session and many are
    the same calls; CPU (all threads) from the first event to everything stored and analyzed, as above.
    """
    os.environ["SESSIONOPTIMIZER_AUTO_ANALYZE"] = "1"
    os.environ["SESSIONOPTIMIZER_LIVE_ANALYSIS"] = "1" if mode == "on" else "0"
    quiet_env()
    import contextlib

    from sessionoptimizer_sdk import EventType, SessionOptimizer

    opt = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-many-"))
    out: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        ids = [
            stack.enter_context(opt.session(f"agent{i % 5}", "many", model="claude-sonnet-4-5")).id
            for i in range(sessions)
        ]
        tool, call = EventType.TOOL_CALL, EventType.AI_RESPONSE
        for i in range(200 * sessions):  # warm-up: every session has a live state before the timing
            opt.log_event(ids[i % sessions], tool, {"tool": "Bash"})
        opt.flush(60, analysis=True)
        time.sleep(1.1)
        start_cpu = time.process_time()
        for i in range(n):
            sid = ids[i % sessions]
            opt.log_event(sid, tool, {"tool": "Bash"})
            if i % 10 == 0:
                opt.log_event(sid, call, tokens_input=100, tokens_output=20)
        opt.flush(300, analysis=mode == "on")
        out["cpu"] = time.process_time() - start_cpu
        if opt._runner is not None:
            out["reports"] = opt._runner.handed + opt._runner.read_back
    opt.shutdown()
    return out


def report_cost(others: int, parent_events: int, sub_events: int, rounds: int = 9) -> float:
    """Median CPU seconds of one provisional report of a live session, alert rules included (the runner's path).

    The session has ``parent_events`` events (reads of distinct files, a model call every third event: no
    finding grows with it) and started 8 hours ago; the store also holds ``others`` sessions started since, and,
    with ``sub_events``, one ended subagent that read files the session had read (cross-agent re-reads). New
    events keep coming after each report, as in a live session.
    """
    from datetime import UTC, datetime, timedelta

    from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    home = Path(tempfile.mkdtemp(prefix="so-bench-report-"))
    store = SQLiteStore(home / "so.db")
    t0 = datetime.now(UTC) - timedelta(hours=8)

    def event(sid: str, i: int, at: datetime) -> SessionEvent:
        read = i % 3 != 0
        return SessionEvent(
            id=f"{sid}-{i}",
            session_id=sid,
            event_type=EventType.FILE_READ if read else EventType.AI_RESPONSE,
            timestamp=at,
            data={"tool": "Read", "file_path": f"/src/f{i}.py", "result_tokens": 400} if read else {},
            tokens_input=0 if read else 900,
            tokens_output=0 if read else 60,
        )

    parent = Session("live", "FORGE", "t", "claude-sonnet-4-5", SessionStatus.ACTIVE, t0)
    store.upsert_session(parent)
    for lo in range(0, parent_events, 20_000):
        hi = min(parent_events, lo + 20_000)
        store.insert_events([event("live", i, t0 + timedelta(seconds=i * 0.25)) for i in range(lo, hi)])
    for i in range(others):
        start = t0 + timedelta(seconds=10 + i)
        store.upsert_session(
            Session(
                f"other{i}",
                "ATLAS",
                "t",
                "claude-sonnet-4-5",
                SessionStatus.COMPLETED,
                start,
                start + timedelta(minutes=5),
                metadata={"host": "build-box", "ticket": f"T-{i}"},
            )
        )
    if sub_events:
        start = t0 + timedelta(seconds=30)
        kid = Session(
            "kid",
            "FORGE",
            "t",
            "claude-sonnet-4-5",
            SessionStatus.COMPLETED,
            start,
            start + timedelta(seconds=sub_events),
            metadata={"parent_session_id": "live", "subagent": True},
        )
        store.upsert_session(kid)
        store.insert_events([event("kid", i, start + timedelta(seconds=i)) for i in range(sub_events)])
    last = t0 + timedelta(seconds=parent_events * 0.25)
    later = [event("live", parent_events + r, last + timedelta(seconds=r + 1)) for r in range(rounds)]
    return _report_cpu(store, home, later)


def _findings_store(events: int, tail: int) -> tuple[Any, Path, list[Any]]:
    """A store holding ``bench_analysis.make_session``'s mix of ``events`` as a live session ``live``.

    The last ``tail`` events are left out and returned, to arrive later.
    """
    from dataclasses import replace

    from bench_analysis import make_session

    from sessionoptimizer_sdk.models import SessionStatus
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    home = Path(tempfile.mkdtemp(prefix="so-bench-findings-"))
    store = SQLiteStore(home / "so.db")
    session, made = make_session(events)
    store.upsert_session(replace(session, id="live", status=SessionStatus.ACTIVE, ended_at=None))
    stored = [replace(e, session_id="live") for e in made]
    head, rest = stored[:-tail], stored[-tail:]
    for lo in range(0, len(head), 20_000):
        store.insert_events(head[lo : lo + 20_000])
    return store, home, rest


def findings_report_cost(events: int, rounds: int = 9, *, kept: bool = True) -> float:
    """Median CPU seconds of one provisional report (alert rules included) of a session full of findings.

    The session is ``bench_analysis.make_session``'s synthetic mix (the one ``bench_analyze_stored.py`` analyzes:
    re-reads, retries, large reads, cache misses), stored live but for its last ``rounds`` events, which arrive
    one per report. ``kept=False``: every report settles every finding's claims again, as before live reports
    kept their settlements.
    """
    from sessionoptimizer_sdk.analysis.feed import Feed

    store, home, tail = _findings_store(events, rounds)
    keeping = Feed.settlements
    if not kept:
        Feed.settlements = lambda self, session: None  # type: ignore[method-assign]
    try:
        return _report_cpu(store, home, tail)
    finally:
        Feed.settlements = keeping  # type: ignore[method-assign]


def findings_freshness(events: int, seconds: float = 6.0, every: float = 0.1) -> dict[str, float]:
    """How fresh a finding-heavy live session's reports are, through the runner with its default pacing.

    Events of ``bench_analysis``'s mix arrive one per ``every`` seconds for ``seconds`` (stored, then the session
    submitted, as the team server's ingest does). Returns the median and largest delay from storing an event to
    the first report that counts it, and the median interval between reports.
    """
    from sessionoptimizer_sdk.analysis.runner import AnalysisRunner
    from sessionoptimizer_sdk.config import Settings

    n = int(seconds / every)
    store, home, tail = _findings_store(events, n)
    runner = AnalysisRunner(store, Settings.from_env(home=home))
    reports: list[tuple[float, int]] = []
    evaluate = runner.engine.evaluate

    def seen(report: Any) -> Any:
        reports.append((time.perf_counter(), report.event_count))
        return evaluate(report)

    runner.engine.evaluate = seen  # type: ignore[method-assign]
    runner.submit("live", False)  # the first report builds the live state
    while not reports:
        time.sleep(0.01)
    count = store.count_events("live")
    stored: list[tuple[float, int]] = []
    for e in tail:
        store.insert_events([e])
        count += 1
        stored.append((time.perf_counter(), count))
        runner.submit("live", False)
        time.sleep(every)
    deadline = time.perf_counter() + 10
    while reports[-1][1] < count and time.perf_counter() < deadline:
        time.sleep(0.01)
    runner.close()
    store.close()
    delays = [next((t for t, c in reports if t >= at and c >= want), math.inf) - at for at, want in stored]
    times = [t for t, _ in reports[1:]]
    return {
        "delay_median": statistics.median(delays),
        "delay_max": max(delays),
        "interval_median": statistics.median(b - a for a, b in itertools.pairwise(times)),
    }


def settlement_ratio(drafts: int = 400, claims: int = 50, rounds: int = 9) -> float:
    """CPU of settling a report's drafts with the last report's settlements kept / settling every claim again.

    Each draft holds ``claims`` claims on its own events, as a live report's findings do (a file's redundant
    reads), and its last claim changes between reports (a carry-over that grows with every model call).
    """
    from datetime import UTC, datetime

    from sessionoptimizer_sdk.analysis.config import AnalysisConfig
    from sessionoptimizer_sdk.analysis.facts import EventFacts, fact_claim
    from sessionoptimizer_sdk.analysis.ledger import Ledger
    from sessionoptimizer_sdk.analysis.pricing import Pricer
    from sessionoptimizer_sdk.analysis.scoring import DEFAULT_WEIGHTS
    from sessionoptimizer_sdk.analysis.settlement import Settler

    def facts(i: int) -> EventFacts:
        return EventFacts(f"e{i}", None, 0, 0, 0, 0, 0, 5_000)

    when = datetime(2026, 1, 21, tzinfo=UTC)
    heads = [
        tuple(fact_claim(facts(d * claims + i), "content", 400) for i in range(claims - 1))
        for d in range(drafts)
    ]

    def settle(kept: Any, step: int) -> tuple[Any, float]:
        settler = Settler(Ledger(), Pricer(AnalysisConfig(), when), "sonnet", DEFAULT_WEIGHTS, kept)
        began = time.thread_time()
        for d, head in enumerate(heads):
            settler.settle(d, (*head, fact_claim(facts(d * claims), "carry", 100 + step)))
        return settler.keep, time.thread_time() - began

    kept, _ = settle({}, 0)
    timed = []
    for step in range(1, rounds + 1):
        kept, with_kept = settle(kept, step)
        timed.append(with_kept / settle(None, step)[1])
    return statistics.median(timed)


def _report_cpu(store: Any, home: Path, arriving: Sequence[Any]) -> float:
    """Median CPU seconds of session ``live``'s provisional report, alert rules included (what the runner paces).

    One report after each event of ``arriving`` is stored; the first report, which builds the live state, is not
    counted. Closes ``store``.
    """
    from sessionoptimizer_sdk.analysis.runner import AnalysisRunner
    from sessionoptimizer_sdk.config import Settings

    runner = AnalysisRunner(store, Settings.from_env(home=home), provisional_interval=0.0, max_duty=0.0)
    runner._provisional("live")
    costs = []
    for e in arriving:
        store.insert_events([e])
        began = time.thread_time()
        report, _ = runner._provisional("live")
        if report is not None:
            runner.engine.evaluate(report)
        costs.append(time.thread_time() - began)
    runner.close()
    store.close()
    return statistics.median(costs)


def report_ratios(events: int, others: int, sub_events: int) -> dict[str, float]:
    """One report's CPU beside ``others`` sessions / alone, and at 5x ``events`` with a subagent / alone.

    Flat is 1.0: a report's cost should not follow the store's size or the session's length (same run, so a
    ratio, not a time).
    """
    alone = report_cost(0, events, 0)
    return {
        "report_sessions_ratio": report_cost(others, events, 0) / alone,
        "report_subagent_ratio": report_cost(0, 5 * events, sub_events) / alone,
    }


def run_child(mode: str, n: int, sessions: int = 0) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--n", str(n), "--sessions", str(sessions)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def measure(events: int, rounds: int, sessions: Sequence[int] = ()) -> dict[str, Any]:
    """Alternate off/on fresh processes ``rounds`` times; medians and the on/off ratios (also per session count)."""
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            runs[mode].append(run_child(mode, events))
    med = {m: {k: statistics.median(r[k] for r in v) for k in v[0]} for m, v in runs.items()}
    off, on = med["off"], med["on"]
    many: dict[int, dict[str, float]] = {}
    for count in sessions:  # the same calls into 1 and into N sessions: does the on/off ratio stay flat?
        cpu: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(rounds):
            for mode in ("off", "on"):
                cpu[mode].append(run_child(mode, events, count)["cpu"])
        off_cpu, on_cpu = statistics.median(cpu["off"]), statistics.median(cpu["on"])
        many[count] = {"off": off_cpu, "on": on_cpu, "ratio": on_cpu / off_cpu}
    return {
        "sessions": many,
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
    parser.add_argument(
        "--sessions",
        default="1,50",
        help="also log --events round-robin into this many live sessions at once (comma-separated; 0: skip)",
    )
    parser.add_argument("--save", action="store_true")
    parser.add_argument(
        "--reports",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time one provisional report beside 10,000 sessions and with a subagent",
    )
    args = parser.parse_args(argv)
    if args.child:
        many = int(args.sessions)
        print(json.dumps(scenario_many(args.child, args.n, many) if many else scenario(args.child, args.n)))
        return {}
    if args.reports:
        cases = [
            ("a live session alone (20,000 events)", 0, 20_000, 0),
            ("... with 10,000 more sessions started since it", 10_000, 20_000, 0),
            ("... alone, with one ended subagent (2,000 events)", 0, 20_000, 2_000),
            ("100,000 events, with one ended subagent (2,000 events)", 0, 100_000, 2_000),
        ]
        rows = [[name, f"{report_cost(o, p, k) * 1000:.2f}"] for name, o, p, k in cases]
        for n in (10_000, 100_000):
            again = findings_report_cost(n, kept=False)
            rows.append(
                [
                    f"a session full of findings, {n:,} events (bench_analysis mix)",
                    f"{findings_report_cost(n) * 1000:.1f}",
                ]
            )
            rows.append(
                [
                    "... the same, every claim settled again (as before settlements were kept)",
                    f"{again * 1000:.1f}",
                ]
            )
        print_table(
            "One provisional report's CPU (median of 9 reports, new events between them)",
            ["case", "ms"],
            rows,
        )
        print(
            f"\nsettling 400 findings of 50 claims each, the last claim of each changed: with the last report's "
            f"settlements kept / every claim settled again {settlement_ratio():.2f}x"
        )
        fresh = findings_freshness(100_000)
        print(
            "a session full of findings (100,000 events), one event stored every 0.1 s, the runner's default "
            f"pacing: each event in a report after {fresh['delay_median']:.2f} s (median), "
            f"{fresh['delay_max']:.2f} s at most (target < 1 s); a report every {fresh['interval_median']:.2f} s"
        )
    counts = [int(c) for c in args.sessions.split(",") if int(c) > 0]
    res = measure(args.events, args.rounds, counts)
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
    if res["sessions"]:
        print_table(
            f"Live analysis, {args.events:,} events logged round-robin into N live sessions at once, "
            f"median of {args.rounds}",
            ["live sessions", "CPU off (s)", "CPU on (s)", "on/off"],
            [
                [f"{count:,}", f"{r['off']:.2f}", f"{r['on']:.2f}", f"{r['ratio']:.2f}x"]
                for count, r in res["sessions"].items()
            ],
        )
    if args.save:
        save("live_analysis", res)
    return res


if __name__ == "__main__":
    main()
