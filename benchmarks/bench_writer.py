"""Where the writer thread's time goes per stored event: mapping, INSERT, session totals, COMMIT.

Run: ``python benchmarks/bench_writer.py [--events 100000] [--batch 5000]``. Records ``--events`` decorated tool
calls with the writer's queue intercepted, then replays the finished spans through the same steps the writer
takes, timing each. The sum is the writer-only ceiling of one process's store throughput.

``--growth 300000`` instead writes that many rows into one session with ``SQLiteStore.write_batch`` and prints the
CPU per row of early and late batches: with our SDK's time-ordered span ids, with random ids (imports, other
SDKs' spans) and, as the floor, random ids without the unique ``(session_id, id)`` index (a scratch-store
experiment).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk._internal.randomids import new_span_id
from sessionoptimizer_sdk.models import Session, SessionStatus
from sessionoptimizer_sdk.processing.mapping import event_row_from_span
from sessionoptimizer_sdk.store import sqlite as store_sql
from sessionoptimizer_sdk.store.schema import ADD_INSERTED_TOTALS

ROW_DATA = (
    '{"tool":"work","args_sha256":"0123456789abcdef","result_sha256":"0123456789abcdef","result_chars":4}'
)


def growth(n: int, batch: int, *, drop_id_index: bool, ordered: bool = False) -> list[float]:
    """CPU us per row of each ``write_batch`` of ``batch`` rows into one session of a fresh store (n rows)."""
    store = store_sql.SQLiteStore(Path(tempfile.mkdtemp(prefix="so-bench-growth-")) / "so.db")
    sid = "bench_20261130_142207_fd5b523a87462502"  # a recorder-made id's length
    started = datetime.now(UTC)
    store.create_session(
        Session(id=sid, agent="a", task="t", model="m", status=SessionStatus.ACTIVE, started_at=started)
    )
    if drop_id_index:
        store._conn().execute("DROP INDEX idx_events_id")
    now = time.time()
    ids = [f"{new_span_id():016x}" for _ in range(n)] if ordered else [os.urandom(8).hex() for _ in range(n)]
    rows = [
        (ids[i], sid, "TOOL_CALL", now + i * 1e-6, 0.01, "t", 0, None, 0, 0, 0, 0, 0, ROW_DATA)
        for i in range(n)
    ]
    per_row = []
    for i in range(0, n, batch):
        c0 = time.process_time()
        store.write_batch(rows[i : i + batch])
        per_row.append((time.process_time() - c0) / batch * 1e6)
    store.close()
    return per_row


def print_growth(n: int, batch: int) -> None:
    """The growth table: CPU per row at a few points of one session's life, with and without the id index."""
    cases = {
        "our SDK's time-ordered span ids (unique (session_id, id) index)": growth(
            n, batch, drop_id_index=False, ordered=True
        ),
        "random ids (imports, other SDKs; same index)": growth(n, batch, drop_id_index=False),
        "random ids without the unique index (experiment)": growth(n, batch, drop_id_index=True),
    }
    count = len(next(iter(cases.values())))
    window = max(1, 20_000 // batch)  # average a few batches: a WAL checkpoint lands on one COMMIT in ~4
    starts = sorted({0, count // 3, 2 * count // 3, max(0, count - window)})
    head = " | ".join(f"rows {s * batch:,}-{min(count, s + window) * batch:,}" for s in starts)
    print(f"\n### write_batch CPU us per row as one session grows ({n:,} rows, batches of {batch:,})\n")
    print(f"| store | {head} |\n|---|{'---|' * len(starts)}")
    for label, per_row in cases.items():
        means = [sum(per_row[s : s + window]) / len(per_row[s : s + window]) for s in starts]
        print(f"| {label} | " + " | ".join(f"{m:.1f}" for m in means) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--growth", type=int, default=0, help="rows for the growth table (0: the breakdown)")
    args = parser.parse_args()
    if args.growth:
        print_growth(args.growth, args.batch)
        return
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
            store_sql._insert_rows(conn, store_sql._INSERT_HEAD, "", rows[i : i + args.batch])
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
