"""Where the writer thread's time goes per stored event: mapping, INSERT, session totals, COMMIT.

Run: ``python benchmarks/bench_writer.py [--events 100000] [--batch 5000]``. Records ``--events`` decorated tool
calls with the writer's queue intercepted, then replays the finished spans through the same steps the writer
takes, timing each. The sum is the writer-only ceiling of one process's store throughput.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

os.environ.setdefault("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk.processing.mapping import event_row_from_span
from sessionoptimizer_sdk.store import sqlite as store_sql
from sessionoptimizer_sdk.store.schema import ADD_INSERTED_TOTALS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    optimizer = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-writer-"))
    writer = optimizer._recorder.writer
    spans: list[Any] = []

    @optimizer.tool("t")
    def tool(x: int) -> int:
        return x

    with optimizer.session("BENCH", "writer breakdown"):
        real_put = writer.put
        writer.put = spans.append  # type: ignore[assignment]
        for i in range(args.events):
            tool(i)
        writer.put = real_put
        started = time.perf_counter()
        rows = [row for row in map(event_row_from_span, spans) if row is not None]
        timings = {"map span -> row": time.perf_counter() - started, "INSERT": 0.0, "session totals": 0.0}
        timings["COMMIT"] = 0.0
        assert isinstance(optimizer.store, store_sql.SQLiteStore)  # profiles the SQLite write path
        conn = optimizer.store._conn()
        for i in range(0, len(rows), args.batch):
            conn.execute("BEGIN IMMEDIATE")
            before = store_sql._max_seq(conn)
            t0 = time.perf_counter()
            conn.executemany(store_sql._INSERT_EVENT, rows[i : i + args.batch])
            t1 = time.perf_counter()
            conn.execute(ADD_INSERTED_TOTALS, (before,))
            t2 = time.perf_counter()
            conn.execute("COMMIT")
            t3 = time.perf_counter()
            timings["INSERT"] += t1 - t0
            timings["session totals"] += t2 - t1
            timings["COMMIT"] += t3 - t2
    optimizer.shutdown()
    total = sum(timings.values())
    print(f"\n### Writer thread per stored event ({args.events:,} tool events, batches of {args.batch:,})\n")
    print("| step | us/event | share |\n|---|---|---|")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds / args.events * 1e6:.2f} | {seconds / total:.0%} |")
    print(
        f"| **total** | **{total / args.events * 1e6:.2f}** | writer-only ceiling {args.events / total:,.0f} events/s |"
    )


if __name__ == "__main__":
    main()
