"""``analyze(id)`` end to end on a stored session: load from SQLite, analyze, save the report row and JSON file.

Run: ``python benchmarks/bench_analyze_stored.py [--sizes 10000,100000] [--rounds 3]``. The session is the
synthetic mix of ``bench_analysis.py`` written to a real SQLite store; each size is timed as
``finalize_session`` (what the analysis thread runs at session end and ``sessionoptimizer analyze`` reads back)
and split into its stages. Target: 100,000 events < 1 s end to end, linear (us/event flat across sizes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analysis import make_session

from sessionoptimizer_sdk.analysis.engine import analyze_events
from sessionoptimizer_sdk.analysis.stored import finalize_session, write_report_file
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

STAGES = ("load session + events", "analyze_events", "report to_dict", "save row + write JSON file")


def build_store(folder: Path, n: int) -> tuple[SQLiteStore, str]:
    """A store holding one completed session of ``n`` synthetic events."""
    store = SQLiteStore(folder / "so.db")
    session, events = make_session(n)
    sid = f"bench-{n}"
    store.upsert_session(replace(session, id=sid))
    rows = [replace(e, session_id=sid, id=f"{sid}-{e.id}") for e in events]
    for i in range(0, len(rows), 20_000):
        store.insert_events(rows[i : i + 20_000])
    return store, sid


def stages(store: SQLiteStore, sid: str, reports: Path) -> dict[str, float]:
    """CPU seconds per stage of one end-to-end analysis (the same calls ``finalize_session`` makes).

    CPU, not wall: on a shared machine other jobs stretch wall time unevenly between stages.
    """
    clock = time.process_time
    t0 = clock()
    session = store.get_session(sid)
    events = store.get_events(sid)
    t1 = clock()
    report = analyze_events(session, events)
    t2 = clock()
    data = report.to_dict()
    t3 = clock()
    store.save_report(sid, report.agent, data)
    write_report_file(reports, sid, data)
    t4 = clock()
    return dict(zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True))


def end_to_end(store: SQLiteStore, sid: str, reports: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one ``finalize_session`` call.

    CPU time is the figure to read on a shared machine: other jobs stretch the wall time, not the CPU time.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    finalize_session(store, reports, sid)
    return time.perf_counter() - t0, time.process_time() - c0


def measure(n: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="so-bench-stored-") as tmp:
        store, sid = build_store(Path(tmp), n)
        reports = Path(tmp) / "reports"
        end_to_end(store, sid, reports)  # warm the page cache and the price lookup
        totals = [end_to_end(store, sid, reports) for _ in range(rounds)]
        split = [stages(store, sid, reports) for _ in range(rounds)]
        store.close()
    row: dict[str, Any] = {"events": n, "seconds": statistics.median(t[0] for t in totals)}
    row["cpu"] = statistics.median(t[1] for t in totals)
    row["us_per_event"] = row["cpu"] / n * 1e6
    row.update({name: statistics.median(s[name] for s in split) for name in STAGES})
    return row


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [measure(int(n), args.rounds) for n in args.sizes.split(",")]
    print(f"\n### analyze(id) end to end on a stored session, median of {args.rounds}\n")
    head = "| events | end to end, wall s | end to end, CPU s | CPU us/event | "
    print(head + " | ".join(f"{s}, CPU s" for s in STAGES) + " |")
    print("|---" * (4 + len(STAGES)) + "|")
    for r in rows:
        cells = [f"{r['events']:,}", f"{r['seconds']:.3f}", f"{r['cpu']:.3f}", f"{r['us_per_event']:.2f}"]
        cells += [f"{r[s]:.3f}" for s in STAGES]
        print("| " + " | ".join(cells) + " |")
    return rows


if __name__ == "__main__":
    main()
