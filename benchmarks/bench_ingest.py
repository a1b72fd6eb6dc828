"""Team-server ingest under load: N agent processes export OTLP to one ``sessionoptimizer serve``.

Agents: SDK agents (the real SDK with its OTLP/HTTP exporter, recording locally too) and Claude Code telemetry
replayers (OTLP log events built like the test fixtures, posted as protobuf, 5% of batches sent twice as an
exporter retry would). Prints events/s accepted (acknowledged 200) and stored, request p95 latency (replayers),
the time until a freshly exported event is visible on ``/api/sessions/active``, and lost/doubled counts
(stored per session vs sent per session). Issue 13 targets on a 2-core machine: >= 10,000 events/s into one
server process, 0 lost or doubled, visible < 2 s.

    python benchmarks/bench_ingest.py [--sdk-agents 2] [--cc-agents 2] [--events 20000] [--batch 500]
                                       [--store URL]   # --store: e.g. postgresql://user@host:port/db
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

PB = {"Content-Type": "application/x-protobuf"}


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def cc_request(agent: int, batch_no: int, size: int, per_session: int) -> tuple[bytes, dict[str, int]]:
    """One Claude Code logs export: ``size`` api_request/tool_result events over sessions of ``per_session``."""
    records: list[LogRecord] = []
    counts: dict[str, int] = {}
    now = time.time_ns()
    for i in range(size):
        seq = batch_no * size + i
        sid = hashlib.sha1(f"cc-{agent}-{seq // per_session}".encode()).hexdigest()[:32]
        counts[sid] = counts.get(sid, 0) + 1
        attrs = {"session.id": sid, "event.sequence": str(seq), "app.version": "2.0.14"}
        if seq % 2:
            attrs |= {
                "event.name": "api_request",
                "model": "claude-sonnet-4-5",
                "input_tokens": "300",
                "output_tokens": "120",
                "cache_read_tokens": "9000",
                "cache_creation_tokens": "0",
                "cost_usd": "0.004",
                "duration_ms": "1800",
            }
        else:
            attrs |= {
                "event.name": "tool_result",
                "tool_name": "Bash",
                "success": "true",
                "duration_ms": "40",
            }
        records.append(
            LogRecord(
                time_unix_nano=now + i,
                body=AnyValue(string_value="claude_code.x"),
                attributes=[_kv(k, v) for k, v in attrs.items()],
            )
        )
    resource = Resource(
        attributes=[
            _kv("service.name", "claude-code"),
            _kv("host.name", f"cc-host-{agent}"),
            _kv("sessionoptimizer.agent", f"CC{agent}"),
        ]
    )
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=records)])]
    )
    # a tool_result without a failure is one row, an api_request one row: one stored event per record
    return request.SerializeToString(), counts


def role_cc(url: str, agent: int, events: int, batch: int, per_session: int) -> None:
    """Claude Code replayer: post ``events`` records in batches (5% resent); print counts and latencies."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    bodies = [cc_request(agent, b, batch, per_session) for b in range(events // batch)]
    counts: dict[str, int] = {}
    latencies, acked = [], 0
    first = time.time()
    for n, (body, sent_counts) in enumerate(bodies):
        for attempt in range(2 if n % 20 == 0 else 1):
            while True:
                start = time.perf_counter()
                conn.request("POST", "/v1/logs", body=body, headers=PB)
                response = conn.getresponse()
                response.read()
                latencies.append(time.perf_counter() - start)
                if response.status == 200:
                    break
                time.sleep(float(response.getheader("Retry-After") or 1))
            if attempt == 0:
                acked += batch
                for sid, c in sent_counts.items():
                    counts[sid] = counts.get(sid, 0) + c
    print(
        json.dumps(
            {
                "kind": "cc",
                "acked": acked,
                "first": first,
                "last": time.time(),
                "counts": counts,
                "latencies": latencies,
            }
        )
    )


def role_sdk(agent: int, events: int, rate: float) -> None:
    """SDK agent: sessions of 2,000 events at ``rate`` events/s, exported over OTLP and stored locally."""
    from sessionoptimizer_sdk import EventType, SessionOptimizer

    optimizer = SessionOptimizer()
    counts: dict[str, int] = {}
    first = time.time()
    for _ in range(max(1, events // 2_000)):
        with optimizer.session(f"SDK{agent}", "bench", model="claude-sonnet-4-5") as session:
            for i in range(2_000):
                session.log(EventType.TOOL_CALL, data={"tool": "pytest"}, tokens_input=100)
                if i % 100 == 99:
                    time.sleep(max(0.0, first + (len(counts) * 2_000 + i) / rate - time.time()))
            counts[session.id] = 2_000
    optimizer.shutdown(timeout=120)
    print(
        json.dumps(
            {
                "kind": "sdk",
                "acked": sum(counts.values()),
                "first": first,
                "last": time.time(),
                "counts": counts,
                "latencies": [],
            }
        )
    )


def _open_store(url: str | None, sqlite_path: Path) -> Any:
    """The server's store, to count what arrived: ``open_store(url)`` (PostgreSQL) or the SQLite file."""
    if url:
        from sessionoptimizer_sdk.config import Settings
        from sessionoptimizer_sdk.store import open_store

        return open_store(url, Settings.from_env())
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    return SQLiteStore(sqlite_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def probe_visibility(url: str, n: int) -> float:
    """Seconds from posting one new session's event to its appearance on /api/sessions/active."""
    sid = f"probe-{n}-{os.getpid()}"
    body, _ = cc_request(9_000 + n, 0, 1, 1)
    request = ExportLogsServiceRequest.FromString(body)
    for attr in request.resource_logs[0].scope_logs[0].log_records[0].attributes:
        if attr.key == "session.id":
            attr.value.string_value = sid
    start = time.perf_counter()
    req = urllib.request.Request(f"{url}/v1/logs", data=request.SerializeToString(), headers=PB)
    urllib.request.urlopen(req, timeout=30).read()
    while time.perf_counter() - start < 30:
        with urllib.request.urlopen(f"{url}/api/sessions/active", timeout=30) as response:
            if sid in {s["id"] for s in json.load(response)["sessions"]}:
                return time.perf_counter() - start
        time.sleep(0.1)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sdk-agents", type=int, default=2)
    parser.add_argument("--cc-agents", type=int, default=2)
    parser.add_argument("--events", type=int, default=20_000, help="events per agent")
    parser.add_argument("--batch", type=int, default=500, help="records per replayer request")
    parser.add_argument("--session-events", type=int, default=5_000, help="events per replayed session")
    parser.add_argument("--sdk-rate", type=float, default=2_000.0, help="events/s logged by each SDK agent")
    parser.add_argument("--store", default=None, help="store URL passed to `serve --store` (PostgreSQL)")
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--agent", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "cc":
        role_cc(args.url, args.agent, args.events, args.batch, args.session_events)
        return
    if args.role == "sdk":
        role_sdk(args.agent, args.events, args.sdk_rate)
        return

    home = Path(tempfile.mkdtemp(prefix="so-ingest-bench-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home / "server")}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    serve = [sys.executable, "-m", "sessionoptimizer_sdk.cli", "serve", "--port", str(port)]
    if args.store:
        serve += ["--store", args.store]
    server = subprocess.Popen(serve, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.stdout is not None
        server.stdout.readline()
        for _ in range(200):  # the URL is printed before uvicorn listens
            try:
                urllib.request.urlopen(f"{url}/api/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        agents = []
        t0 = time.time()
        for i in range(args.sdk_agents):
            agent_env = {
                **env,
                "SESSIONOPTIMIZER_HOME": str(home / f"sdk{i}"),
                "OTEL_EXPORTER_OTLP_ENDPOINT": url,
                "OTEL_RESOURCE_ATTRIBUTES": f"host.name=sdk-host-{i}",
                "OTEL_BSP_SCHEDULE_DELAY": "200",
                "OTEL_BSP_MAX_QUEUE_SIZE": "200000",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000",
                "SESSIONOPTIMIZER_AUTO_ANALYZE": "0",
            }
            cmd = [
                sys.executable,
                __file__,
                "--role",
                "sdk",
                "--agent",
                str(i),
                "--events",
                str(args.events),
                "--sdk-rate",
                str(args.sdk_rate),
            ]
            agents.append(subprocess.Popen(cmd, env=agent_env, stdout=subprocess.PIPE, text=True))
        for i in range(args.cc_agents):
            cmd = [
                sys.executable,
                __file__,
                "--role",
                "cc",
                "--agent",
                str(i),
                "--events",
                str(args.events),
                "--batch",
                str(args.batch),
                "--session-events",
                str(args.session_events),
                "--url",
                url,
            ]
            agents.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True))
        visible = []
        n = 0
        while any(a.poll() is None for a in agents):
            visible.append(probe_visibility(url, n))
            n += 1
            time.sleep(0.5)
        outputs = [json.loads(a.communicate()[0].strip().splitlines()[-1]) for a in agents]
        expected: dict[str, int] = {}
        for out in outputs:
            expected.update(out["counts"])
        total = sum(expected.values())
        store = _open_store(args.store, home / "server" / "sessionoptimizer.db")
        deadline = time.time() + 60
        while sum(store.count_events(s) for s in expected) < total and time.time() < deadline:
            time.sleep(0.1)
        stored_at = time.time()
        stored = {sid: store.count_events(sid) for sid in expected}
        lost = sum(max(0, expected[s] - stored[s]) for s in expected)
        doubled = sum(max(0, stored[s] - expected[s]) for s in expected)
        last_ack = max(out["last"] for out in outputs)
        t0 = min(out["first"] for out in outputs)  # first export (agents' start-up excluded)
        latencies = sorted(x for out in outputs for x in out["latencies"])
        p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
        rows = [
            ("agents (SDK + Claude Code replayers)", f"{args.sdk_agents} + {args.cc_agents}"),
            ("events sent (unique)", f"{total:,}"),
            ("accepted events/s (acknowledged)", f"{total / (last_ack - t0):,.0f}"),
            ("stored events/s (committed)", f"{total / (stored_at - t0):,.0f}"),
            (f"replayer request p95 (batch of {args.batch})", f"{p95 * 1000:.0f} ms"),
            (
                "visible on /api/sessions/active p95 / max",
                f"{statistics.quantiles(visible, n=20, method='inclusive')[-1]:.2f} s / {max(visible):.2f} s"
                if len(visible) > 1
                else "n/a",
            ),
            ("lost / doubled", f"{lost} / {doubled}"),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"bench_ingest: one server process, store {args.store or 'SQLite'}, {os.cpu_count()} CPUs")
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
