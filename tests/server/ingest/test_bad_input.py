"""Bad requests get a specific 4xx with a JSON error body, store nothing, and the server keeps serving."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sessionoptimizer_sdk.server.ingest import IngestConfig, Limits, new_token
from sessionoptimizer_sdk.server.runner import serve_in_thread
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .conftest import TeamServer
from .payloads import event_span, kv, otlp_json, traces

PB = {"Content-Type": "application/x-protobuf"}


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[TeamServer]:
    """A server with 2 KB body and 20 KB decompressed limits."""
    home = tmp_path / "small"
    config = IngestConfig(limits=Limits(max_body_bytes=2_000, max_decompressed_bytes=20_000))
    with serve_in_thread(home, ingest=config) as url:
        yield TeamServer(home, url, SQLiteStore(home / "sessionoptimizer.db"))


def _refused(server: TeamServer, response: httpx.Response, status: int, error: str) -> None:
    """The response is ``status`` with JSON ``error``, nothing was stored, and the server still answers."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == error
    assert response.json()["detail"]
    assert server.store.count_sessions() == 0
    assert server.store.count_events() == 0
    assert httpx.get(f"{server.url}/api/health").status_code == 200


def test_undecodable_protobuf_is_400(team_server: TeamServer):
    """Bytes that are not an ExportTraceServiceRequest: 400 undecodable."""
    r = httpx.post(f"{team_server.url}/v1/traces", content=b"\xff\xff\xff\x0fnot protobuf", headers=PB)
    _refused(team_server, r, 400, "undecodable")


def test_undecodable_json_is_400(team_server: TeamServer):
    """A JSON body that is not JSON, or has ids that are not hex: 400 undecodable."""
    r = httpx.post(
        f"{team_server.url}/v1/logs", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    _refused(team_server, r, 400, "undecodable")
    doc = json.loads(otlp_json(traces(event_span("s", 1))))
    doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "zz-not-hex"
    r = httpx.post(f"{team_server.url}/v1/traces", json=doc)
    _refused(team_server, r, 400, "undecodable")


def test_wrong_content_type_is_415(team_server: TeamServer):
    """text/plain is neither OTLP encoding: 415 unsupported_media_type."""
    body = traces(event_span("s", 1)).SerializeToString()
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers={"Content-Type": "text/plain"})
    _refused(team_server, r, 415, "unsupported_media_type")


def test_oversized_body_is_413(small_server: TeamServer):
    """A body over the limit: 413 payload_too_large."""
    body = traces(*[event_span("s", n) for n in range(40)]).SerializeToString()
    assert len(body) > 2_000
    r = httpx.post(f"{small_server.url}/v1/traces", content=body, headers=PB)
    _refused(small_server, r, 413, "payload_too_large")


def test_gzip_bomb_is_413(small_server: TeamServer):
    """A ~1 KB gzip body that inflates to 1 MB, past the decompressed limit is refused before it is parsed."""
    bomb = gzip.compress(b"\0" * 1_000_000)  # 1 MB of zeros: ~1 KB compressed
    assert len(bomb) < 2_000
    r = httpx.post(f"{small_server.url}/v1/traces", content=bomb, headers={**PB, "Content-Encoding": "gzip"})
    _refused(small_server, r, 413, "payload_too_large")


def test_unknown_attribute_type_on_session_id_is_400(team_server: TeamServer):
    """A session id attribute of an unknown value type is dropped: the span has no session, 400 no_session."""
    doc = json.loads(otlp_json(traces(event_span("s-unknown", 1))))
    for attr in doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]:
        if attr["key"] == "gen_ai.conversation.id":
            attr["value"] = {"futureValue": {"x": 1}}
    r = httpx.post(f"{team_server.url}/v1/traces", json=doc)
    _refused(team_server, r, 400, "no_session")


def test_span_and_log_without_session_are_400(team_server: TeamServer):
    """A span or a log record that names no session: 400 no_session."""
    span = event_span("s", 1)
    del span.attributes[2]
    r = httpx.post(f"{team_server.url}/v1/traces", content=traces(span).SerializeToString(), headers=PB)
    _refused(team_server, r, 400, "no_session")
    from .payloads import log_record, logs

    record = log_record("claude_code.api_request", {"input_tokens": "5"}, t_s=1)
    body = logs(record, service="claude-code").SerializeToString()
    r = httpx.post(f"{team_server.url}/v1/logs", content=body, headers=PB)
    _refused(team_server, r, 400, "no_session")


def test_token_for_another_agent_is_403(team_server: TeamServer):
    """An ingest token of ATLAS cannot write FORGE's sessions: 403 forbidden_agent, nothing stored."""
    _, secret = new_token(team_server.store, "ingest", "ATLAS")
    body = traces(event_span("s-forge", 1), agent="FORGE").SerializeToString()
    r = httpx.post(
        f"{team_server.url}/v1/traces", content=body, headers={**PB, "Authorization": f"Bearer {secret}"}
    )
    _refused(team_server, r, 403, "forbidden_agent")


def test_absurd_token_counts_are_capped_not_fatal(team_server: TeamServer):
    """A 1e300 token count (double attribute) or "1e30" string is stored capped at 2**40, never a 5xx."""
    from .payloads import kv, log_record, logs

    span = event_span("s-huge", 1)
    span.attributes.append(kv("gen_ai.usage.output_tokens", 1e300))
    r = httpx.post(f"{team_server.url}/v1/traces", content=traces(span).SerializeToString(), headers=PB)
    assert r.status_code == 200
    assert team_server.store.get_session("s-huge").tokens.output_tokens == 2**40
    record = log_record("claude_code.api_request", {"session.id": "cc-huge", "input_tokens": "1e30"}, t_s=1)
    r = httpx.post(
        f"{team_server.url}/v1/logs",
        content=logs(record, service="claude-code").SerializeToString(),
        headers=PB,
    )
    assert r.status_code == 200
    assert team_server.store.get_session("cc-huge").tokens.input_tokens == 2**40


def test_thousands_of_capped_counts_in_one_session_do_not_overflow_its_totals(team_server: TeamServer):
    """2,000 events at the per-event cap are stored in one request, and the session total is their exact sum."""
    spans = []
    for n in range(2000):
        span = event_span("s-sum", n)
        span.attributes.append(kv("gen_ai.usage.output_tokens", 1e300))
        spans.append(span)
    r = httpx.post(f"{team_server.url}/v1/traces", content=traces(*spans).SerializeToString(), headers=PB)
    assert r.status_code == 200, r.text
    session = team_server.store.get_session("s-sum")
    assert (session.event_count, session.tokens.output_tokens) == (2000, 2000 * 2**40)
