"""OTLP/HTTP protocol behaviour of the ingest: encodings, partial success, duplicates and out-of-order arrival."""

from __future__ import annotations

import gzip

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from sessionoptimizer_sdk.models import SessionStatus

from .conftest import TeamServer
from .payloads import T0, event_span, otlp_json, root_span, traces

PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}


def test_protobuf_export_is_stored_and_answered_in_protobuf(team_server: TeamServer):
    """A protobuf export of two event spans answers 200 with a protobuf response and stores both events."""
    body = traces(
        event_span("s-pb", 1, tokens_in=100), event_span("s-pb", 2, tokens_in=250)
    ).SerializeToString()
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers=PB)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_spans == 0
    session = team_server.store.get_session("s-pb")
    assert (session.agent, session.status, session.event_count) == ("FORGE", SessionStatus.ACTIVE, 2)
    assert session.tokens.input_tokens == 350
    assert [e.id for e in team_server.store.get_events("s-pb")] == ["0000000000001001", "0000000000001002"]


def test_json_with_hex_ids_and_gzip(team_server: TeamServer):
    """OTLP/JSON (camelCase, hex ids), gzip-compressed, stores the same event ids as protobuf would."""
    body = gzip.compress(otlp_json(traces(event_span("s-json", 7, tokens_in=42))))
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers={**JS, "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.json() == {} or r.json().get("partialSuccess", {}) == {}
    events = team_server.store.get_events("s-json")
    assert [(e.id, e.tokens_input) for e in events] == [("0000000000001007", 42)]


def test_duplicates_and_out_of_order_leave_one_copy(team_server: TeamServer):
    """Children before the root, a retried batch, and a root ending 3 hours later: one copy of each event."""
    url = f"{team_server.url}/v1/traces"
    children = traces(event_span("s-ooo", 1, tokens_in=10), event_span("s-ooo", 2, tokens_in=20))
    for _ in range(3):  # an exporter retrying the same batch
        assert httpx.post(url, content=children.SerializeToString(), headers=PB).status_code == 200
    late_child = traces(event_span("s-ooo", 3, tokens_in=30), host="machine-b")
    root = traces(root_span("s-ooo", "FORGE", end_s=3 * 3600))
    assert httpx.post(url, content=root.SerializeToString(), headers=PB).status_code == 200
    assert httpx.post(url, content=root.SerializeToString(), headers=PB).status_code == 200  # root resent
    assert httpx.post(url, content=late_child.SerializeToString(), headers=PB).status_code == 200
    session = team_server.store.get_session("s-ooo")
    assert session.event_count == 3
    assert session.tokens.input_tokens == 60
    assert session.status is SessionStatus.COMPLETED
    assert (session.task, session.model) == ("ship it", "claude-sonnet-4-5")
    assert session.started_at.timestamp() == T0 / 1e9
    assert session.ended_at is not None and session.ended_at.timestamp() == T0 / 1e9 + 3 * 3600
    assert team_server.store.session_origins(["s-ooo"])["s-ooo"] == ("machine-a", "sdk")  # first host kept


def test_partial_success_counts_rejected_spans(team_server: TeamServer):
    """One span without a session among good ones: 200 with partial_success naming 1 rejected span."""
    lonely = event_span("x", 9)
    del lonely.attributes[2]  # drop gen_ai.conversation.id
    body = traces(event_span("s-part", 1), lonely).SerializeToString()
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers=PB)
    assert r.status_code == 200
    answer = ExportTraceServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_spans == 1
    assert "no_session" in answer.partial_success.error_message
    assert team_server.store.get_session("s-part").event_count == 1


def test_unknown_event_type_is_rejected_and_the_session_stays_readable(team_server: TeamServer):
    """A span whose event type no reader knows is rejected as invalid_event_span; the session's pages still load."""
    body = traces(
        event_span("s-type", 1, tokens_in=10), event_span("s-type", 2, etype="SUBAGENT_START")
    ).SerializeToString()
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers=PB)
    assert r.status_code == 200
    answer = ExportTraceServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_spans == 1
    assert "invalid_event_span" in answer.partial_success.error_message
    assert [e.id for e in team_server.store.get_events("s-type")] == ["0000000000001001"]
    for path in ("/api/sessions/s-type/events", "/api/reports/s-type", "/api/sessions/active"):
        assert httpx.get(f"{team_server.url}{path}").status_code == 200, path
