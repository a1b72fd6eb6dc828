"""A transcript import replacing a session's telemetry is one transaction: a failed write changes nothing."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .conftest import TeamServer, wait_for
from .payloads import ROOT, T0, TRACE, kv, logs
from .payloads import resource as otlp_resource
from .telemetry_fixtures import _cc

PB = {"Content-Type": "application/x-protobuf"}
SID = "shared-session-1"
TELEMETRY_EVENTS = 10
TELEMETRY_TOKENS = 10 * 120  # ten api_request records of 120 input tokens each


def _telemetry() -> bytes:
    """Ten Claude Code ``api_request`` log records of ``SID`` (120 input tokens each)."""
    records = [
        _cc("api_request", n, n, T0, **{"session.id": SID, "input_tokens": 120})
        for n in range(TELEMETRY_EVENTS)
    ]
    return bytes(logs(*records, service="claude-code", agent="CLIO").SerializeToString())


def _import_batch(n: int, *, sid: str = SID, data_bytes: int = 0, bad_id: int | None = None) -> bytes:
    """A shipped transcript import of ``sid``: ``n`` event spans (``bad_id``: that one's event id holds a NUL)."""
    spans = []
    for i in range(n):
        attrs = {
            "sessionoptimizer.kind": "event",
            "sessionoptimizer.event.type": "AI_RESPONSE",
            "gen_ai.conversation.id": sid,
            "gen_ai.usage.input_tokens": 7,
            "sessionoptimizer.event.id": f"imp-{i}\x00" if i == bad_id else f"imp-{i}",
        }
        if data_bytes:
            attrs["sessionoptimizer.event.data"] = '{"text":"' + "x" * data_bytes + '"}'
        spans.append(
            Span(
                trace_id=TRACE,
                span_id=(0x2000 + i).to_bytes(8, "big"),
                parent_span_id=ROOT,
                name="event",
                start_time_unix_nano=T0 + i * 1_000_000,
                end_time_unix_nano=T0 + i * 1_000_000,
                attributes=[kv(k, v) for k, v in attrs.items()],
            )
        )
    res = otlp_resource(sessionoptimizer__agent="CLIO", sessionoptimizer__source="import", host__name="m")
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=res, scope_spans=[ScopeSpans(spans=spans)])]
    )
    return bytes(request.SerializeToString())


def _state(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Rows as plain tuples (for comparing what a user would list)."""
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("team_server", ["postgresql"], indirect=True)
def test_unstorable_import_keeps_the_acknowledged_telemetry_on_postgresql(team_server: TeamServer):
    """An import batch PostgreSQL refuses (a NUL in an event id) leaves the session's telemetry as it was."""
    assert httpx.post(f"{team_server.url}/v1/logs", content=_telemetry(), headers=PB).status_code == 200
    store = team_server.store
    query = "SELECT source, event_count, input_tokens FROM sessions WHERE id = ?"
    before = _state(store.query(query, [SID]))
    assert before == [("claude_code", TELEMETRY_EVENTS, TELEMETRY_TOKENS)]

    r = httpx.post(f"{team_server.url}/v1/traces", content=_import_batch(20, bad_id=13), headers=PB)

    assert r.status_code == 400 and r.json()["error"] == "unstorable", r.text
    assert _state(store.query(query, [SID])) == before
    assert store.count_events(SID) == TELEMETRY_EVENTS
    # later telemetry still counts: the session was not turned into an import
    more = logs(
        _cc("api_request", 99, 99, T0, **{"session.id": SID, "input_tokens": 5}),
        service="claude-code",
        agent="CLIO",
    )
    assert (
        httpx.post(f"{team_server.url}/v1/logs", content=more.SerializeToString(), headers=PB).status_code
        == 200
    )
    assert store.count_events(SID) == TELEMETRY_EVENTS + 1


@pytest.mark.parametrize("team_server", ["postgresql"], indirect=True)
def test_unstorable_batch_of_a_new_session_leaves_no_placeholder_on_postgresql(team_server: TeamServer):
    """A refused write for a session the server has not seen leaves no empty session behind."""
    body = _import_batch(5, sid="brand-new-1", bad_id=2)
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers=PB)
    assert r.status_code == 400 and r.json()["error"] == "unstorable", r.text
    assert team_server.store.find_session("brand-new-1") is None
    assert team_server.store.count_sessions() == 0


class _LimitedServer:
    """``sessionoptimizer serve`` in a subprocess that cannot grow any file past ``max_file_bytes`` (disk full)."""

    def __init__(self, home: Path, max_file_bytes: int) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("SESSIONOPTIMIZER_STRICT", None)

        def limit() -> None:  # Python ignores SIGXFSZ: a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sessionoptimizer_sdk.cli", "--home", str(home), "serve", "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            preexec_fn=limit,
        )
        self.url = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("SessionOptimizer dashboard:"):
                self.url = line.split(": ", 1)[1].strip().rstrip("/")

    def stop(self) -> None:
        """Stop the server and close its output pipe."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[_LimitedServer]:
    """A SQLite team server whose store file cannot grow past 2 MiB."""
    server = _LimitedServer(tmp_path / "server", 2 * 1024 * 1024)
    try:
        assert wait_for(lambda: bool(server.url), timeout=20), "serve did not start"
        yield server
    finally:
        server.stop()


def test_import_that_fills_the_disk_keeps_the_acknowledged_telemetry_on_sqlite(
    tmp_path: Path, full_disk_server: _LimitedServer
):
    """An import batch whose write fails (disk full: 503) deletes no telemetry event and changes no origin."""
    url = full_disk_server.url
    assert httpx.post(f"{url}/v1/logs", content=_telemetry(), headers=PB).status_code == 200
    db = tmp_path / "server" / "sessionoptimizer.db"
    query = "SELECT source, event_count, input_tokens FROM sessions WHERE id = ?"
    store = SQLiteStore(db)
    before = _state(store.query(query, [SID]))
    assert before == [("claude_code", TELEMETRY_EVENTS, TELEMETRY_TOKENS)]

    # 400 events of 8 KB: ~3 MB of rows, past the 2 MiB the server process may write into any file
    r = httpx.post(f"{url}/v1/traces", content=_import_batch(400, data_bytes=8_000), headers=PB, timeout=30)

    assert r.status_code == 503 and r.json()["error"] == "store_unavailable", r.text
    assert _state(store.query(query, [SID])) == before
    assert store.count_events(SID) == TELEMETRY_EVENTS
    assert store.count_sessions() == 1
    store.close()
