"""Team-server ingest under load: what one ``sessionoptimizer serve`` process (or two on one PostgreSQL) takes.

Three scenarios, each on SQLite and PostgreSQL in the same run (a fresh store each):

1. **replay** (server capacity): OTLP bodies posted by replayer processes at full speed. SDK bodies were
   *captured from real SDK agents* in a warm-up (``SessionOptimizer`` + the OTel ``OTLPSpanExporter`` posting to
   a capturing HTTP server, bytes kept as sent); Claude Code bodies are log exports built like the test fixtures.
   5% of requests are sent twice, as an exporter retry would. The agents' own CPU is not in this figure.
2. **live**: live SDK agent processes (recording locally and exporting, paced) next to Claude Code replayers, all
   on the same cores as the server: what a single machine hosting agents and server sees.
3. **two servers** (PostgreSQL only): the replay load split over two ``serve`` processes on one database.

Printed per scenario and store: events/s accepted (acknowledged 200) and stored (counted in the store after the
run: equal to accepted unless an acknowledged event was missing, since answers follow COMMIT), request p95, the
time until a freshly exported event is visible on ``/api/sessions/active`` (p95 / max), lost / doubled
(stored vs sent, per session), and the server processes' CPU seconds per 1,000 events (user + system, from
``/proc``). Issue 13 targets on a 2-core machine: >= 10,000 events/s into one server process, 0 lost or
doubled, visible < 2 s.

    python benchmarks/bench_ingest.py [--events 40000] [--replayers 4] [--live-agents 2] [--pg URL]
                                       [--stores sqlite,postgresql] [--scenarios replay,live,two-servers]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import pickle
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

PB = "application/x-protobuf"
SDK_SESSION_EVENTS = 2_000
SESSION_KEY = "gen_ai.conversation.id"  # the SDK's session id attribute (conventions.GEN_AI_CONVERSATION_ID)
#: One request: (path, headers, body, {session id: events}, events in it).
Item = tuple[str, dict[str, str], bytes, dict[str, int], int]


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
    return request.SerializeToString(), counts  # one stored event per record (no failures)


def cc_items(agent: int, events: int, batch: int, per_session: int) -> list[Item]:
    """A Claude Code replayer's requests."""
    items: list[Item] = []
    for b in range(events // batch):
        body, counts = cc_request(agent, b, batch, per_session)
        items.append(("/v1/logs", {"Content-Type": PB}, body, counts, batch))
    return items


# --- roles run in their own processes ---------------------------------------------------------------------
def role_replay(url: str, items_file: str) -> None:
    """Post every request of ``items_file`` in order (5% twice); print counts, ack times and latencies."""
    items: list[Item] = pickle.loads(Path(items_file).read_bytes())
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    counts: dict[str, int] = {}
    latencies: list[float] = []
    acked = 0
    first = time.time()
    for n, (path, headers, body, sent_counts, events) in enumerate(items):
        for attempt in range(2 if n % 20 == 0 else 1):
            while True:
                start = time.perf_counter()
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                latencies.append(time.perf_counter() - start)
                if response.status == 200:
                    break
                time.sleep(float(response.getheader("Retry-After") or 1))
            if attempt == 0:
                acked += events
                for sid, c in sent_counts.items():
                    counts[sid] = counts.get(sid, 0) + c
    out = {"acked": acked, "first": first, "last": time.time(), "counts": counts, "latencies": latencies}
    print(json.dumps(out))


def role_sdk(agent: int, events: int, rate: float) -> None:
    """SDK agent: sessions of 2,000 events at ``rate`` events/s, exported over OTLP and stored locally."""
    from sessionoptimizer_sdk import EventType, SessionOptimizer

    optimizer = SessionOptimizer()
    counts: dict[str, int] = {}
    first = time.time()
    for _ in range(max(1, events // SDK_SESSION_EVENTS)):
        with optimizer.session(f"SDK{agent}", "bench", model="claude-sonnet-4-5") as session:
            for i in range(SDK_SESSION_EVENTS):
                session.log(EventType.TOOL_CALL, data={"tool": "pytest"}, tokens_input=100)
                if rate and i % 100 == 99:
                    done = len(counts) * SDK_SESSION_EVENTS + i
                    time.sleep(max(0.0, first + done / rate - time.time()))
            counts[session.id] = SDK_SESSION_EVENTS
    optimizer.shutdown(timeout=120)
    out = {
        "acked": sum(counts.values()),
        "first": first,
        "last": time.time(),
        "counts": counts,
        "latencies": [],
    }
    print(json.dumps(out))


# --- capture: real SDK exporter bytes -----------------------------------------------------------------------
def capture_sdk(agents: int, events: int, home: Path) -> list[Item]:
    """Run real SDK agents exporting to a capturing server; return their requests exactly as sent."""
    captured: list[tuple[str, dict[str, str], bytes]] = []
    lock = threading.Lock()
    ok = ExportTraceServiceResponse().SerializeToString()

    class Capture(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            keep = {
                k: v for k, v in self.headers.items() if k.lower() in ("content-type", "content-encoding")
            }
            with lock:
                captured.append((self.path, keep, body))
            self.send_response(200)
            self.send_header("Content-Type", PB)
            self.send_header("Content-Length", str(len(ok)))
            self.end_headers()
            self.wfile.write(ok)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    procs = [_start_sdk_agent(i, events, 0.0, url, home / f"capture{i}") for i in range(agents)]
    for proc in procs:
        proc.communicate()
    server.shutdown()
    items: list[Item] = []
    for path, headers, body in captured:
        request = ExportTraceServiceRequest.FromString(_inflate(body, headers))
        counts: dict[str, int] = {}
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    if span.parent_span_id:  # an event span (the session root carries no event)
                        sid = next(a.value.string_value for a in span.attributes if a.key == SESSION_KEY)
                        counts[sid] = counts.get(sid, 0) + 1
        items.append((path, headers, body, counts, sum(counts.values())))
    return items


def _inflate(body: bytes, headers: dict[str, str]) -> bytes:
    import gzip

    encoding = {k.lower(): v for k, v in headers.items()}.get("content-encoding", "")
    return gzip.decompress(body) if encoding == "gzip" else body


def _start_sdk_agent(i: int, events: int, rate: float, url: str, home: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "SESSIONOPTIMIZER_HOME": str(home),
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_EXPORTER_OTLP_TIMEOUT": "60",
        "OTEL_RESOURCE_ATTRIBUTES": f"host.name=sdk-host-{i}",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BSP_MAX_QUEUE_SIZE": "200000",
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000",
        "SESSIONOPTIMIZER_AUTO_ANALYZE": "0",
    }
    cmd = [sys.executable, __file__, "--role", "sdk", "--agent", str(i), "--events", str(events)]
    return subprocess.Popen([*cmd, "--sdk-rate", str(rate)], env=env, stdout=subprocess.PIPE, text=True)


# --- the measured run -----------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(store_url: str, home: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home)}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    cmd = [
        sys.executable,
        "-m",
        "sessionoptimizer_sdk.cli",
        "serve",
        "--port",
        str(port),
        "--store",
        store_url,
    ]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            urllib.request.urlopen(f"{url}/api/health", timeout=1).read()
            return server, url
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the server on {url} did not start")


def probe_visibility(url: str, n: int) -> float:
    """Seconds from posting one new session's event to its appearance on /api/sessions/active."""
    sid = f"probe-{n}-{os.getpid()}-{time.time_ns()}"
    body, _ = cc_request(9_000 + n, 0, 1, 1)
    request = ExportLogsServiceRequest.FromString(body)
    for attr in request.resource_logs[0].scope_logs[0].log_records[0].attributes:
        if attr.key == "session.id":
            attr.value.string_value = sid
    start = time.perf_counter()
    data = request.SerializeToString()
    urllib.request.urlopen(
        urllib.request.Request(f"{url}/v1/logs", data=data, headers={"Content-Type": PB}), timeout=60
    ).read()
    while time.perf_counter() - start < 30:
        with urllib.request.urlopen(f"{url}/api/sessions/active", timeout=60) as response:
            if sid in {s["id"] for s in json.load(response)["sessions"]}:
                return time.perf_counter() - start
        time.sleep(0.1)
    return float("inf")


def run_scenario(
    store_url: str, work: Path, shares: list[list[Item]], *, servers: int = 1, live: int = 0, args: Any = None
) -> dict[str, Any]:
    """Start ``servers`` serve processes on ``store_url``, run the replayers (and live agents); measure."""
    started = [_start_server(store_url, work / f"server{i}") for i in range(servers)]
    try:
        agents = []
        for i in range(live):
            agents.append(
                _start_sdk_agent(i, args.live_events, args.sdk_rate, started[i % servers][1], work / f"a{i}")
            )
        for i, share in enumerate(shares):
            items_file = work / f"items{i}.pickle"
            items_file.write_bytes(pickle.dumps(share))
            cmd = [sys.executable, __file__, "--role", "replay", "--items", str(items_file)]
            url = started[i % servers][1]
            agents.append(subprocess.Popen([*cmd, "--url", url], stdout=subprocess.PIPE, text=True))
        cpu0 = sum(_cpu_seconds(s.pid) for s, _ in started)
        visible, n, last_probe = [], 0, 0.0
        while any(a.poll() is None for a in agents):
            if time.monotonic() - last_probe >= 0.5:  # one probe every 0.5 s while the load runs
                visible.append(probe_visibility(started[n % servers][1], n))
                n, last_probe = n + 1, time.monotonic()
            time.sleep(0.01)
        outputs = [json.loads(a.communicate()[0].strip().splitlines()[-1]) for a in agents]
        expected: dict[str, int] = {}
        for out in outputs:
            for sid, c in out["counts"].items():
                expected[sid] = expected.get(sid, 0) + c
        total = sum(expected.values())
        last_ack = max(out["last"] for out in outputs)
        store = _open_store(store_url)
        # acknowledged after COMMIT: everything acknowledged is stored by the last acknowledgement; a shortfall
        # here (a bug) is waited for up to 60 s and then shows as lost
        stored_at = last_ack
        deadline = time.time() + 60
        while store_events(store, expected) < total and time.time() < deadline:
            time.sleep(0.1)
            stored_at = time.time()
        cpu = sum(_cpu_seconds(s.pid) for s, _ in started) - cpu0
        stored = {sid: store.count_events(sid) for sid in expected}
        store.close()
    finally:
        for server, _ in started:
            server.terminate()
            server.wait(timeout=20)
    t0 = min(out["first"] for out in outputs)  # first export (agents' start-up excluded)
    latencies = sorted(x for out in outputs for x in out["latencies"])
    return {
        "events": total,
        "accepted_per_s": total / (last_ack - t0),
        "stored_per_s": total / (stored_at - t0),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "visible_p95_s": statistics.quantiles(visible, n=20, method="inclusive")[-1]
        if len(visible) > 1
        else None,
        "visible_max_s": max(visible) if visible else None,
        "lost": sum(max(0, expected[s] - stored[s]) for s in expected),
        "doubled": sum(max(0, stored[s] - expected[s]) for s in expected),
        "cpu_s_per_1000": 1000 * cpu / total,
    }


def store_events(store: Any, expected: dict[str, int]) -> int:
    return sum(store.count_events(s) for s in expected)


def _open_store(url: str) -> Any:
    from sessionoptimizer_sdk.config import Settings
    from sessionoptimizer_sdk.store import open_store

    return open_store(url, Settings.from_env())


def _pg_base(url: str | None) -> tuple[str, Any]:
    if url:
        return url, None
    from tests._pg import PgCluster, find_pg_bin

    bindir = find_pg_bin()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found: pass --pg URL or --stores sqlite")
    cluster = PgCluster(bindir, durable=True)  # fsync and synchronous_commit on
    cluster.init()
    cluster.start()
    return cluster.url, cluster


def _interleave(a: list[Item], b: list[Item]) -> list[Item]:
    """``a`` and ``b`` merged evenly, each in its own order."""
    out: list[Item] = []
    ia = ib = 0
    while ia < len(a) or ib < len(b):
        if ib >= len(b) or (ia < len(a) and ia * len(b) <= ib * len(a)):
            out.append(a[ia])
            ia += 1
        else:
            out.append(b[ib])
            ib += 1
    return out


def _split(items: list[Item], parts: int) -> list[list[Item]]:
    return [items[i::parts] for i in range(parts)]


def _print(results: dict[str, dict[str, Any]], args: Any) -> None:
    rows = [
        ("events (unique)", "events", "{:,}"),
        ("accepted events/s", "accepted_per_s", "{:,.0f}"),
        ("stored events/s (counted after)", "stored_per_s", "{:,.0f}"),
        ("request p95", "p95_ms", "{:,.0f} ms"),
        ("visible p95", "visible_p95_s", "{:.2f} s"),
        ("visible max", "visible_max_s", "{:.2f} s"),
        ("lost / doubled", None, ""),
        ("server CPU per 1,000 events", "cpu_s_per_1000", "{:.3f} s"),
    ]
    names = list(results)
    width = max(len(r[0]) for r in rows)
    cols = [max(14, len(n)) for n in names]
    print(
        f"bench_ingest ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}): {' '.join(sys.argv[1:])}"
    )
    print(" " * (width + 2) + "  ".join(n.rjust(c) for n, c in zip(names, cols, strict=True)))
    for label, key, fmt in rows:
        cells: list[str] = []
        for name in names:
            r = results[name]
            if key is None:
                cells.append(f"{r['lost']} / {r['doubled']}")
            else:
                cells.append("n/a" if r.get(key) is None else fmt.format(r[key]))
        print(f"  {label:<{width}}" + "".join("  " + c.rjust(w) for c, w in zip(cells, cols, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=40_000, help="events per replay load (SDK + Claude Code)"
    )
    parser.add_argument(
        "--replayers", type=int, default=4, help="replayer processes (one request in flight each)"
    )
    parser.add_argument(
        "--capture-agents", type=int, default=2, help="real SDK agents whose exports are replayed"
    )
    parser.add_argument("--live-agents", type=int, default=2, help="live SDK agent processes (live scenario)")
    parser.add_argument("--live-events", type=int, default=10_000, help="events per live SDK agent")
    parser.add_argument(
        "--sdk-rate", type=float, default=2_000.0, help="events/s logged by each live SDK agent"
    )
    parser.add_argument("--batch", type=int, default=500, help="records per Claude Code request")
    parser.add_argument("--session-events", type=int, default=2_000, help="events per Claude Code session")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default="replay,live,two-servers")
    parser.add_argument("--pg", default=os.environ.get("SESSIONOPTIMIZER_BENCH_PG"), help="PostgreSQL URL")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--items", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--agent", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "replay":
        role_replay(args.url, args.items)
        return
    if args.role == "sdk":
        role_sdk(args.agent, args.events, args.sdk_rate)
        return

    work = Path(tempfile.mkdtemp(prefix="so-ingest-bench-"))
    stores = [s for s in args.stores.split(",") if s]
    scenarios = [s for s in args.scenarios.split(",") if s]
    half = args.events // 2
    sdk = capture_sdk(args.capture_agents, half // args.capture_agents, work)
    cc = [it for a in range(2) for it in cc_items(a, half // 2, args.batch, args.session_events)]
    replay = _interleave(sdk, cc)  # each source keeps its own order (SDK roots after their events)
    cc_live = cc_items(7, half // 2, args.batch, args.session_events)
    base, cluster = (None, None)
    results: dict[str, dict[str, Any]] = {}
    try:
        if "postgresql" in stores:
            base, cluster = _pg_base(args.pg)

        def url_for(store: str, tag: str) -> str:
            if store == "sqlite":
                return f"sqlite://{work / tag / 'so.db'}"
            from tests._pg import create_schema

            assert base is not None
            return create_schema(base)[1]

        for scenario in scenarios:
            for store in stores:
                if scenario == "two-servers" and store != "postgresql":
                    continue
                tag = f"{scenario}-{store}"
                (work / tag).mkdir()
                if scenario == "live":
                    shares = _split(cc_live, max(1, args.replayers // 2))
                    results[tag] = run_scenario(
                        url_for(store, tag), work / tag, shares, live=args.live_agents, args=args
                    )
                else:
                    servers = 2 if scenario == "two-servers" else 1
                    shares = _split(replay, args.replayers)
                    results[tag] = run_scenario(
                        url_for(store, tag), work / tag, shares, servers=servers, args=args
                    )
                print(f"  done: {tag}", file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.destroy()
    print(
        f"replay: {len(sdk)} captured SDK requests ({sum(i[4] for i in sdk):,} events) + {len(cc)} Claude Code"
        f" requests of {args.batch}; live: {args.live_agents} SDK agents x {args.live_events:,} events at"
        f" {args.sdk_rate:,.0f}/s + Claude Code replayers"
    )
    _print(results, args)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
