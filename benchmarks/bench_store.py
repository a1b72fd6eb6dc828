"""Store throughput: events/s from one process and from 3 processes into one store, and a 100,000-event burst.

Run: ``python benchmarks/bench_store.py [--events 100000] [--rounds 3]``. Baselines measured in the same run:
raw ``sqlite3`` ``executemany`` into a bare WAL table in batches of 100, and the stock OTel BatchSpanProcessor
(default settings) taking the same burst. Also prints the CPU time per event of the one-process case (all threads:
on a shared machine the fair figure; its inverse is the one-process ceiling on one free core) and how long
``flush()`` takes with an idle queue, live analysis on (issue 16 target: < 10 ms). The rest runs with auto-analysis
off (recording alone), but for one row: the one-process case again with the default live analysis on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_table, quiet_env, save

ROW_DATA = (
    '{"tool":"work","args_sha256":"0123456789abcdef","result_sha256":"0123456789abcdef","result_chars":4}'
)


def work(x: int) -> int:
    return x + 1


def raw_sqlite(n: int, batch: int = 100) -> float:
    """Rows/s of plain executemany into a bare WAL table (the pilot's ~500k rows/s reference)."""
    path = Path(tempfile.mkdtemp(prefix="so-bench-raw-")) / "raw.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id TEXT, session_id TEXT, type TEXT, ts REAL, data TEXT)")
    rows = [(f"{i:016x}", "s", "TOOL_CALL", time.time(), ROW_DATA) for i in range(n)]
    t0 = time.perf_counter()
    for i in range(0, n, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", rows[i : i + batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return n / elapsed


def store_rows(n: int, batch: int) -> float:
    """Rows/s of SQLiteStore.write_batch (our schema: unique ids, session index, totals trigger)."""
    from sessionoptimizer_sdk.models import Session, SessionStatus
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    store = SQLiteStore(Path(tempfile.mkdtemp(prefix="so-bench-store-")) / "so.db")
    from datetime import UTC, datetime

    store.create_session(
        Session(
            id="s", agent="a", task="t", model="m", status=SessionStatus.ACTIVE, started_at=datetime.now(UTC)
        )
    )
    now = time.time()
    rows = [
        (
            os.urandom(8).hex(),
            "s",
            "TOOL_CALL",
            now + i * 1e-6,
            0.01,
            "work",
            0,
            None,
            0,
            0,
            0,
            0,
            0,
            ROW_DATA,
        )
        for i in range(n)
    ]
    t0 = time.perf_counter()
    for i in range(0, n, batch):
        store.write_batch(rows[i : i + batch])
    elapsed = time.perf_counter() - t0
    assert store.count_events("s") == n
    return n / elapsed


def sdk_events(n: int, *, drop_id_index: bool = False, live: bool = False) -> tuple[float, int, float]:
    """(events/s, events stored, CPU seconds of all threads) of n decorated tool calls until all are committed.

    ``live`` keeps the default live analysis on (elsewhere this script turns it off: recording alone).
    ``drop_id_index`` is an experiment: the store's unique ``(session_id, id)`` index is dropped first.
    """
    from sessionoptimizer_sdk import SessionOptimizer
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    with _default_analysis(live):
        opt = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-sdk-"))
    if drop_id_index:
        assert isinstance(opt.store, SQLiteStore)
        opt.store._conn().execute("DROP INDEX idx_events_id")
    tool = opt.tool(work)
    with opt.session("bench", "store throughput", model="m") as scope:
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i in range(n):
            tool(i)
        opt.flush(120)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    stored = opt.store.count_events(scope.id)
    opt.shutdown(30)
    return n / elapsed, stored, cpu


@contextlib.contextmanager
def _default_analysis(on: bool = True) -> Iterator[None]:
    """While ``on``: the default live analysis (``SESSIONOPTIMIZER_AUTO_ANALYZE`` unset) for optimizers made here."""
    saved = os.environ.pop("SESSIONOPTIMIZER_AUTO_ANALYZE", None) if on else None
    try:
        yield
    finally:
        if saved is not None:
            os.environ["SESSIONOPTIMIZER_AUTO_ANALYZE"] = saved


def otel_cpu(n: int) -> float:
    """CPU seconds (all threads) of n plain OTel spans (3 attributes) through a BatchSpanProcessor, flushed."""
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(EncodingExporter.Drop()))
    tracer = provider.get_tracer("bench")
    c0 = time.process_time()
    for i in range(n):
        with tracer.start_as_current_span("execute_tool work") as span:
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", "work")
            span.set_attribute("bench.arg", i)
            work(i)
    provider.force_flush()
    cpu = time.process_time() - c0
    provider.shutdown()
    return cpu


def idle_flush_ms(events: int = 20_000, calls: int = 200) -> dict[str, float]:
    """Milliseconds a ``flush()`` takes once everything is committed, live analysis on (median, p95, max).

    The session stays open with ``events`` events in it, so the live analysis has a session to keep up to date.
    """
    from sessionoptimizer_sdk import SessionOptimizer

    with _default_analysis():
        opt = SessionOptimizer(tempfile.mkdtemp(prefix="so-bench-flush-"))
    tool = opt.tool(work)
    out: dict[str, float] = {}
    with opt.session("bench", "idle flush", model="m"):
        for i in range(events):
            tool(i)
        opt.flush(120, analysis=True)
        for label, analysis in (("flush()", False), ("flush(analysis=True)", True)):
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                assert opt.flush(10, analysis=analysis)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out[f"{label} median"] = statistics.median(times)
            out[f"{label} p95"] = times[int(0.95 * (calls - 1))]
            out[f"{label} max"] = times[-1]
    opt.shutdown(30)
    return out


class EncodingExporter(SpanExporter):
    """An OTLP exporter minus the network: encodes each batch to protobuf (the real CPU cost) and counts it."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        encode_spans(spans).SerializeToString()
        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    class Drop(SpanExporter):
        """Accepts every batch and keeps nothing (the baseline of the CPU comparison)."""

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            return None


def otel_burst(n: int) -> float:
    """Fraction of a burst of n spans the stock BatchSpanProcessor (default settings) delivers to OTLP encoding."""
    exporter = EncodingExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("bench")
    for i in range(n):
        span = tracer.start_span("execute_tool work")
        span.set_attribute("bench.arg", i)
        span.end()
    provider.force_flush()
    provider.shutdown()
    return exporter.count / n


def worker(home: str, n: int, go_at: float) -> None:
    """One of the writer processes: wait for the common start time, record n tool calls, flush."""
    os.environ["SESSIONOPTIMIZER_HOME"] = home
    from sessionoptimizer_sdk import SessionOptimizer

    opt = SessionOptimizer(home)
    tool = opt.tool(work)
    time.sleep(max(0.0, go_at - time.time()))
    with opt.session("bench", f"writer {os.getpid()}", model="m"):
        for i in range(n):
            tool(i)
    opt.shutdown(120)
    print(json.dumps({"done": time.time()}))


def multi_process(procs: int, n_each: int) -> tuple[float, int]:
    """(aggregate events/s, events stored) of ``procs`` processes recording into one store."""
    home = tempfile.mkdtemp(prefix="so-bench-mp-")
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    SQLiteStore(Path(home) / "sessionoptimizer.db")  # create + migrate once, outside the timing
    go_at = time.time() + 3.0
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", home, "--events", str(n_each), "--go-at", str(go_at)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(procs)
    ]
    ends = []
    for child in children:
        out, _ = child.communicate(timeout=900)
        ends.append(json.loads(out.strip().splitlines()[-1])["done"])
    elapsed = max(ends) - go_at
    from sessionoptimizer_sdk import SessionOptimizer

    opt = SessionOptimizer(home)
    stored = opt.store.count_events()
    opt.shutdown(10)
    return procs * n_each / elapsed, stored


def id_index_experiment(n: int, rounds: int) -> dict[str, Any]:
    """One process end to end with the store as it is and without its unique id index, interleaved."""
    runs: dict[bool, list[tuple[float, int, float]]] = {False: [], True: []}
    for _ in range(rounds):
        for drop in (False, True):
            runs[drop].append(sdk_events(n, drop_id_index=drop))
    med = statistics.median
    rows = [
        (
            "without the unique (session_id, id) index (experiment)" if drop else "as stored (our span ids)",
            f"{med(r[0] for r in got):,.0f}",
            f"{med(r[2] / n for r in got) * 1e6:.1f}",
            f"{med(r[1] / n for r in got):.1%}",
        )
        for drop, got in runs.items()
    ]
    print_table(
        f"One process, {n:,} @tool calls until committed, median of {rounds}",
        ["store", "events/s", "CPU us per event (all threads)", "stored"],
        rows,
    )
    return {"as_stored": runs[False], "without_id_index": runs[True]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--go-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--save", action="store_true")
    parser.add_argument(
        "--id-index-experiment",
        action="store_true",
        help="only the one-process case, interleaved with and without the unique (session_id, id) index",
    )
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.events, args.go_at)
        return {}
    quiet_env()
    n = args.events
    if args.id_index_experiment:
        return id_index_experiment(n, args.rounds)
    raw, rows100, rows5000, sdk, multi, kept_otel, kept_so = [], [], [], [], [], [], []
    sdk_live: list[float] = []
    cpu: list[float] = []
    cpu_live: list[float] = []
    cpu_otel: list[float] = []
    for _ in range(args.rounds):
        raw.append(raw_sqlite(n))
        rows100.append(store_rows(n, 100))
        rows5000.append(store_rows(n, 5000))
        rate, stored, cpu_s = sdk_events(n)
        sdk.append(rate)
        cpu.append(cpu_s / n)
        rate, stored, cpu_s = sdk_events(n, live=True)
        assert stored == n, f"live-analysis run stored {stored} of {n}"
        sdk_live.append(rate)
        cpu_live.append(cpu_s / n)
        cpu_otel.append(otel_cpu(n) / n)
        kept_so.append(stored / n)
        kept_otel.append(otel_burst(n))
        mrate, mstored = multi_process(3, n // 3)
        multi.append(mrate)
        assert mstored == 3 * (n // 3), f"3-process run stored {mstored} of {3 * (n // 3)}"
    med = statistics.median
    base = med(raw)
    table = [
        ("raw sqlite3 executemany, bare WAL table, batches of 100 (baseline)", med(raw), "1.00x", "-"),
        (
            "SQLiteStore.write_batch, batches of 100",
            med(rows100),
            f"{med(r / b for r, b in zip(rows100, raw, strict=True)):.2f}x",
            "-",
        ),
        (
            "SQLiteStore.write_batch, batches of 5,000 (the writer's size)",
            med(rows5000),
            f"{med(r / b for r, b in zip(rows5000, raw, strict=True)):.2f}x",
            "-",
        ),
        (
            f"one process, @tool calls -> committed ({n:,} events)",
            med(sdk),
            f"{med(sdk) / base:.2f}x",
            f"{med(kept_so):.1%} stored",
        ),
        (
            "... the same with the default live analysis on",
            med(sdk_live),
            f"{med(sdk_live) / base:.2f}x",
            "100.0% stored",
        ),
        (
            f"3 processes into one store ({3 * (n // 3):,} events)",
            med(multi),
            f"{med(multi) / base:.2f}x",
            "100.0% stored",
        ),
    ]
    print_table(
        f"Store throughput, median of {args.rounds} rounds",
        ["path", "events/s", "vs raw sqlite", "delivered"],
        table,
    )
    print_table(
        f"One process, CPU per event (all threads, {n:,} @tool calls until committed), median of {args.rounds}",
        ["measure", "value"],
        [
            ("CPU us per event", f"{med(cpu) * 1e6:.1f}"),
            ("events per CPU-second (ceiling on one free core)", f"{1 / med(cpu):,.0f}"),
            ("CPU us per event, live analysis on (the default)", f"{med(cpu_live) * 1e6:.1f}"),
            (
                "plain OTel span (3 attributes, BatchSpanProcessor, drop exporter), CPU us",
                f"{med(cpu_otel) * 1e6:.1f}",
            ),
            (
                "ours / OTel span, CPU per event",
                f"{med(a / b for a, b in zip(cpu, cpu_otel, strict=True)):.2f}x",
            ),
        ],
    )
    flush = idle_flush_ms()
    print_table(
        "flush() with an idle queue (20,000 events in an open session, live analysis on; 200 calls)",
        ["call", "ms"],
        [(k, f"{v:.3f}") for k, v in flush.items()],
    )
    print_table(
        f"Burst of {n:,} events",
        ["pipeline", "delivered"],
        [
            (
                "stock OTel BatchSpanProcessor (defaults: queue 2,048) -> OTLP protobuf encoding, no network",
                f"{med(kept_otel):.1%}",
            ),
            ("SessionOptimizer (@tool, then flush)", f"{med(kept_so):.1%}"),
        ],
    )
    result = {
        "raw_sqlite_rows_s": med(raw),
        "store_rows_s_100": med(rows100),
        "store_rows_s_5000": med(rows5000),
        "sdk_events_s": med(sdk),
        "sdk_cpu_us_per_event": med(cpu) * 1e6,
        "sdk_live_events_s": med(sdk_live),
        "sdk_live_cpu_us_per_event": med(cpu_live) * 1e6,
        "idle_flush_ms": flush,
        "three_process_events_s": med(multi),
        "burst_otel_kept": med(kept_otel),
        "burst_so_kept": med(kept_so),
    }
    if args.save:
        save("store", result)
    return result


if __name__ == "__main__":
    main()
