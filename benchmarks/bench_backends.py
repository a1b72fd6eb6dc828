"""SQLite and PostgreSQL side by side in one run: events/s written from 1 and 4 processes, and REST API p95.

Each writer process opens the store by URL (``open_store``) and commits ``Store.write_batch`` batches of 5,000
rows (the background writer's size) into its own session. SQLite runs with ``synchronous=FULL`` (the default:
durable commits) and, for comparison, ``NORMAL``. The API part seeds ``--sessions`` sessions with ``--events``
events and a stored report each, serves the REST API on 127.0.0.1 over that store, and measures sequential
request latency (p50/p95) over the dashboard's endpoints. PostgreSQL is a throwaway cluster started here with
durable settings (fsync on, ``synchronous_commit=on``), unless ``--pg URL`` names a server.

    python benchmarks/bench_backends.py [--events 200000] [--sessions 10000] [--api-events 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import print_table, quiet_env, save

ROW_DATA = '{"tool":"work","args_sha256":"0123456789abcdef","result_sha256":"0123456789abcdef"}'
BATCH = 5_000


def _rows(sid: str, n: int, start: float) -> list[tuple[Any, ...]]:
    return [
        (
            uuid.uuid4().hex[:16],
            sid,
            "TOOL_CALL",
            start + i * 1e-3,
            0.01,
            "work",
            0,
            None,
            10,
            5,
            0,
            0,
            0,
            ROW_DATA,
        )
        for i in range(n)
    ]


def _session(sid: str, agent: str, started: float, ended: float | None) -> Any:
    from datetime import UTC, datetime

    from sessionoptimizer_sdk.models import Session, SessionStatus

    return Session(
        id=sid, agent=agent, task="bench", model="claude-sonnet-4-5",
        status=SessionStatus.COMPLETED if ended else SessionStatus.ACTIVE,
        started_at=datetime.fromtimestamp(started, UTC),
        ended_at=datetime.fromtimestamp(ended, UTC) if ended else None,
    )  # fmt: skip


def worker(url: str, n: int, go_at: float, synchronous: str) -> None:
    """One writer process: its own session, n rows in batches of 5,000, prints its finish time."""
    from sessionoptimizer_sdk.config import Settings
    from sessionoptimizer_sdk.store import open_store

    store = open_store(url, Settings.from_env())
    if synchronous and store.backend == "sqlite":
        store._conn().execute(f"PRAGMA synchronous = {synchronous}")  # type: ignore[attr-defined]
    sid = f"w{os.getpid()}_{uuid.uuid4().hex[:6]}"
    store.create_session(_session(sid, "bench", time.time(), None))
    rows = _rows(sid, n, time.time())
    time.sleep(max(0.0, go_at - time.time()))
    for i in range(0, n, BATCH):
        store.write_batch(rows[i : i + BATCH])
    print(json.dumps({"done": time.time()}), flush=True)
    store.close()


def write_rate(url: str, procs: int, n_each: int, synchronous: str = "") -> float:
    """Aggregate rows/s of ``procs`` processes writing ``n_each`` rows each into the store at ``url``."""
    go_at = time.time() + 2.0 + procs * 0.5
    cmd = [sys.executable, __file__, "--worker", url, "--events", str(n_each), "--go-at", str(go_at)]
    children = [
        subprocess.Popen([*cmd, "--synchronous", synchronous], stdout=subprocess.PIPE, text=True)
        for _ in range(procs)
    ]
    ends = []
    for child in children:
        out, _ = child.communicate(timeout=900)
        ends.append(json.loads(out.strip().splitlines()[-1])["done"])
    return float(procs * n_each / (max(ends) - go_at))


def seed(url: str, sessions: int, events: int) -> None:
    """``sessions`` sessions over the last 30 days, ``events`` events in total, a final report on each ended one."""
    from sessionoptimizer_sdk.config import Settings
    from sessionoptimizer_sdk.store import open_store

    store = open_store(url, Settings.from_env())
    if store.backend == "sqlite":  # seeding only: the measured parts use the default durable setting
        store._conn().execute("PRAGMA synchronous = OFF")  # type: ignore[attr-defined]
    now, per = time.time(), max(1, events // sessions)
    agents = ["FORGE", "ATLAS", "BOLT", "CLIO", "NEXUS"]
    pending: list[tuple[Any, ...]] = []
    for i in range(sessions):
        started = now - (sessions - i) * (30 * 86400 / sessions)
        ended = None if i >= sessions - 20 else started + per * 2.0
        sid = f"s{i:06d}"
        store.upsert_session(_session(sid, agents[i % 5], started, ended))
        pending += _rows(sid, per, started)
        if len(pending) >= 20_000:
            store.write_batch(pending)
            pending = []
        if ended:
            store.save_report(
                sid, agents[i % 5],
                {"session_id": sid, "efficiency_score": 50 + i % 50, "total_waste_tokens": i % 700,
                 "cost_usd": 0.01 * (i % 9), "provisional": False},
            )  # fmt: skip
    if pending:
        store.write_batch(pending)
    store.close()


def _fetch(url: str) -> None:
    """One GET on a new connection (httpx keep-alive shows a ~40 ms delayed-ACK artefact on loopback)."""
    with urllib.request.urlopen(url, timeout=30) as r:
        r.read()
        assert r.status == 200, (url, r.status)


def api_p95(url: str, requests: int, sessions: int) -> dict[str, float]:
    """p50/p95 (ms) of sequential requests over the REST endpoints of ``sessionoptimizer serve --store url``."""
    sid = f"s{sessions * 9 // 10:06d}"
    paths = [
        "/api/stats/current",
        "/api/stats/current?hours=720",
        "/api/stats/trend",
        "/api/stats/agent/FORGE",
        "/api/sessions?limit=50",
        "/api/sessions?agent=ATLAS&limit=50&offset=500",
        "/api/sessions/active",
        f"/api/sessions/{sid}",
        f"/api/sessions/{sid}/events?limit=100",
        f"/api/reports/{sid}",
        "/api/alerts",
        "/api/budget",
    ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "sessionoptimizer_sdk.cli", "serve", "--port", str(port), "--store", url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "SESSIONOPTIMIZER_HOME": tempfile.mkdtemp(prefix="so-bench-api-")},
    )  # fmt: skip
    times: list[float] = []
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        assert base in line, line
        deadline = time.monotonic() + 30
        while True:  # the URL is printed before uvicorn listens
            try:
                _fetch(base + "/api/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for p in paths:  # warm up
            _fetch(base + p)
        for i in range(requests):
            t0 = time.perf_counter()
            _fetch(base + paths[i % len(paths)])
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=10)
    q = statistics.quantiles(times, n=100)
    return {"p50_ms": q[49], "p95_ms": q[94], "max_ms": max(times)}


def _start_pg() -> tuple[str, Any]:
    from tests._pg import PgCluster, find_pg_bin

    bindir = find_pg_bin()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found: apt-get install postgresql, or pass --pg URL")
    cluster = PgCluster(bindir, durable=True)
    cluster.init()
    cluster.start()
    return cluster.url, cluster


def _fresh_pg(base: str) -> str:
    from tests._pg import create_schema

    return create_schema(base)[1]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000, help="rows written per write-rate case")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--api-events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--pg", default=os.environ.get("SESSIONOPTIMIZER_BENCH_PG"))
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--skip-write", action="store_true", help="only the REST API part")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--go-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--synchronous", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.events, args.go_at, args.synchronous)
        return {}
    quiet_env()
    cluster = None
    base = args.pg
    if not base:
        base, cluster = _start_pg()
    try:
        n = args.events

        def sqlite_url() -> str:
            return f"sqlite://{tempfile.mkdtemp(prefix='so-bench-b-')}/so.db"

        rates = (
            {}
            if args.skip_write
            else {
                "sqlite FULL, 1 process": write_rate(sqlite_url(), 1, n),
                "sqlite NORMAL, 1 process": write_rate(sqlite_url(), 1, n, "NORMAL"),
                "postgresql, 1 process": write_rate(_fresh_pg(base), 1, n),
                "sqlite FULL, 4 processes": write_rate(sqlite_url(), 4, n // 4),
                "sqlite NORMAL, 4 processes": write_rate(sqlite_url(), 4, n // 4, "NORMAL"),
                "postgresql, 4 processes": write_rate(_fresh_pg(base), 4, n // 4),
            }
        )
        if rates:
            print_table(
                f"Store.write_batch, batches of {BATCH:,} ({n:,} rows per case)",
                ["backend", "events/s"],
                [(k, f"{v:,.0f}") for k, v in rates.items()],
            )
        api: dict[str, dict[str, float]] = {}
        for name, url in (("sqlite", sqlite_url()), ("postgresql", _fresh_pg(base))):
            t0 = time.perf_counter()
            seed(
                url + ("%20-csynchronous_commit%3Doff" if name == "postgresql" else ""),
                args.sessions,
                args.api_events,
            )
            print(f"seeded {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            api[name] = api_p95(url, args.requests, args.sessions)
        print_table(
            f"REST API, {args.sessions:,} sessions / {args.api_events:,} events, {args.requests} requests",
            ["backend", "p50 ms", "p95 ms", "max ms"],
            [(k, f"{v['p50_ms']:.1f}", f"{v['p95_ms']:.1f}", f"{v['max_ms']:.1f}") for k, v in api.items()],
        )
        result = {"write_events_s": rates, "api": api, "events": n, "sessions": args.sessions,
                  "api_events": args.api_events}  # fmt: skip
        if args.save:
            save("backends", result)
        return result
    finally:
        if cluster is not None:
            cluster.destroy()


if __name__ == "__main__":
    main()
