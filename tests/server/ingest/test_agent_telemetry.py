"""Claude Code and Codex native telemetry become sessions of the named agent, analysed like transcripts."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from sessionoptimizer_sdk.models import EventType, SessionStatus
from sessionoptimizer_sdk.server.ingest import IngestConfig

from .conftest import TEAM_ON_BOTH, TeamServer, _serve
from .payloads import T0, kv, traces
from .telemetry_fixtures import CLAUDE_SID, CODEX_SID, claude_code_session, codex_session

PB = {"Content-Type": "application/x-protobuf"}


def _send_logs(server: TeamServer, request: object) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/logs", content=request.SerializeToString(), headers=PB)  # type: ignore[attr-defined]


@TEAM_ON_BOTH
def test_claude_code_session_is_stored_with_hand_computed_totals(team_server: TeamServer):
    """Claude Code log events make one ACTIVE session of agent CLIO with the documented token kinds."""
    now = time.time_ns()
    assert _send_logs(team_server, claude_code_session(t0=now)).status_code == 200
    assert _send_logs(team_server, claude_code_session(t0=now)).status_code == 200  # a retried export
    session = team_server.store.get_session(CLAUDE_SID)
    assert (session.agent, session.status, session.model) == (
        "CLIO",
        SessionStatus.ACTIVE,
        "claude-sonnet-4-5",
    )
    assert session.started_at.timestamp() == pytest.approx(now / 1e9, abs=1e-5)
    assert (session.tokens.input_tokens, session.tokens.output_tokens) == (1900, 800)
    assert (session.tokens.cache_read_tokens, session.tokens.cache_write_tokens) == (18500, 8600)
    types = [e.event_type for e in team_server.store.get_events(CLAUDE_SID)]
    assert types.count(EventType.AI_RESPONSE) == 3
    assert types.count(EventType.FILE_READ) == 2
    assert types.count(EventType.USER_MESSAGE) == 1
    assert types.count(EventType.ERROR) == 2  # the failing test run and the API error
    assert team_server.store.session_origins([CLAUDE_SID])[CLAUDE_SID] == ("clio-laptop", "claude_code")
    errors = [e for e in team_server.store.get_events(CLAUDE_SID) if e.event_type is EventType.ERROR]
    assert {e.error_type for e in errors} == {"test_failure", "api_error"}


def test_idle_telemetry_session_is_ended_at_its_last_event(tmp_path: Path, store_url: str):
    """No session end in telemetry: a session with nothing arriving for the idle timeout ends at its last event.

    Events a year old that are still arriving (a Collector reading an old file) keep the session ACTIVE.
    """
    config = IngestConfig(idle_timeout=0.5, sweep_interval=0.0)
    with _serve(tmp_path / "server", store_url, ingest=config) as server:
        assert _send_logs(server, claude_code_session()).status_code == 200  # events from a year ago
        assert server.store.get_session(CLAUDE_SID).status is SessionStatus.ACTIVE  # it just arrived
        time.sleep(0.7)  # nothing arrives for longer than the timeout
        assert _send_logs(server, codex_session()).status_code == 200  # any request runs the sweep
        session = server.store.get_session(CLAUDE_SID)
        assert session.status is SessionStatus.COMPLETED
        assert session.ended_at is not None
        assert session.ended_at.timestamp() == pytest.approx(T0 / 1e9 + 25, abs=1e-5)  # its last event
        assert server.store.get_session(CODEX_SID).status is SessionStatus.ACTIVE  # the one that just arrived


def test_claude_code_report_finds_the_repeated_read(team_server: TeamServer):
    """With OTEL_LOG_TOOL_DETAILS=1 the report of a Claude Code session flags the file read twice."""
    assert _send_logs(team_server, claude_code_session()).status_code == 200
    report = httpx.get(f"{team_server.url}/api/reports/{CLAUDE_SID}").json()
    assert "repeated_file_read" in {issue["type"] for issue in report["issues"]}


def test_without_tool_details_reads_are_plain_tool_calls(team_server: TeamServer):
    """Without OTEL_LOG_TOOL_DETAILS no file path arrives: reads are TOOL_CALLs and no re-read is claimed."""
    assert _send_logs(team_server, claude_code_session(tool_details=False)).status_code == 200
    types = [e.event_type for e in team_server.store.get_events(CLAUDE_SID)]
    assert types.count(EventType.FILE_READ) == 0
    assert types.count(EventType.TOOL_CALL) == 3
    report = httpx.get(f"{team_server.url}/api/reports/{CLAUDE_SID}").json()
    assert "repeated_file_read" not in {issue["type"] for issue in report["issues"]}


def test_agent_falls_back_to_service_name(team_server: TeamServer):
    """Without ``sessionoptimizer.agent`` the session's agent is the resource's ``service.name``."""
    assert _send_logs(team_server, claude_code_session(agent=None)).status_code == 200
    assert team_server.store.get_session(CLAUDE_SID).agent == "claude-code"


def test_codex_session_tokens_follow_openai_convention(team_server: TeamServer):
    """Codex events: cached input is split out of input, reasoning stays inside output, the failure is an error."""
    assert _send_logs(team_server, codex_session()).status_code == 200
    session = team_server.store.get_session(CODEX_SID)
    assert (session.agent, session.model) == ("BOLT", "gpt-5-codex")
    assert (session.tokens.input_tokens, session.tokens.cache_read_tokens) == (7200, 4800)
    assert (session.tokens.output_tokens, session.tokens.reasoning_tokens) == (1200, 700)
    events = team_server.store.get_events(CODEX_SID)
    assert [e.event_type for e in events].count(EventType.AI_RESPONSE) == 2
    assert [e.error_type for e in events if e.event_type is EventType.ERROR] == ["test_failure"]
    assert team_server.store.session_origins([CODEX_SID])[CODEX_SID] == ("bolt-box", "codex")


def test_claude_code_trace_spans_are_accepted_but_not_stored(team_server: TeamServer):
    """Claude Code's beta trace spans (``session.id``, no conversation id) are acknowledged, not double counted."""
    request = traces()
    span = request.resource_spans[0].scope_spans[0].spans.add()
    span.trace_id, span.span_id = b"\x01" * 16, b"\x02" * 8
    span.name, span.start_time_unix_nano, span.end_time_unix_nano = "claude_code.llm_request", T0, T0 + 10
    span.attributes.extend([kv("session.id", CLAUDE_SID), kv("span.type", "llm_request")])
    r = httpx.post(f"{team_server.url}/v1/traces", content=request.SerializeToString(), headers=PB)
    assert r.status_code == 200
    assert team_server.store.count_sessions() == 0
