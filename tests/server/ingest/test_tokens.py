"""Per-agent ingest tokens and read tokens on a public team server; rate limits; back-pressure."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sessionoptimizer_sdk.server.ingest import IngestConfig, new_token
from sessionoptimizer_sdk.server.runner import serve_in_thread
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .conftest import PUBLIC_ON_BOTH, TeamServer, run_agent, wait_for
from .payloads import event_span, traces

PB = {"Content-Type": "application/x-protobuf"}


def _post(server: TeamServer, secret: str | None, sid: str = "s-tok", n: int = 1) -> httpx.Response:
    headers = {**PB, **({"Authorization": f"Bearer {secret}"} if secret else {})}
    body = traces(event_span(sid, n), agent="FORGE").SerializeToString()
    return httpx.post(f"{server.url}/v1/traces", content=body, headers=headers)


@PUBLIC_ON_BOTH
def test_public_ingest_requires_an_ingest_token(public_server: TeamServer):
    """Public server: no token 401, a read token 403, FORGE's ingest token 200 (and the event is stored)."""
    _, read = new_token(public_server.store, "read", None)
    _, forge = new_token(public_server.store, "ingest", "FORGE")
    assert _post(public_server, None).status_code == 401
    assert _post(public_server, "so_i_guessed").status_code == 401
    r = _post(public_server, read)
    assert (r.status_code, r.json()["error"]) == (403, "wrong_token_kind")
    assert public_server.store.count_events() == 0
    assert _post(public_server, forge).status_code == 200
    assert public_server.store.get_session("s-tok").agent == "FORGE"


@PUBLIC_ON_BOTH
def test_revoked_token_stops_working(public_server: TeamServer):
    """A revoked ingest token is refused (within the 2 s verification cache)."""
    token_id, forge = new_token(public_server.store, "ingest", "FORGE")
    assert _post(public_server, forge).status_code == 200
    assert public_server.store.revoke_token(token_id)
    time.sleep(2.1)
    assert _post(public_server, forge, n=2).status_code == 401
    assert public_server.store.count_events() == 1


@PUBLIC_ON_BOTH
def test_public_reads_need_a_read_token(public_server: TeamServer):
    """Public server: the API needs a read token; an ingest token does not open it."""
    _, read = new_token(public_server.store, "read", None)
    _, forge = new_token(public_server.store, "ingest", "FORGE")
    url = f"{public_server.url}/api/sessions"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {forge}"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {read}"}).status_code == 200


def test_tokens_are_stored_hashed(public_server: TeamServer):
    """The database file never contains a token's secret, and listing shows no secret either."""
    _, secret = new_token(public_server.store, "ingest", "FORGE")
    raw = b"".join(p.read_bytes() for p in public_server.home.glob("sessionoptimizer.db*"))
    assert secret.encode() not in raw
    assert all(secret not in str(row) for row in public_server.store.list_tokens())


def test_rate_limit_answers_429_with_retry_after(public_server: TeamServer):
    """Past the burst (5) a token gets 429 with Retry-After, and nothing from refused requests is stored."""
    _, forge = new_token(public_server.store, "ingest", "FORGE")
    codes = [_post(public_server, forge, n=n) for n in range(12)]
    limited = [r for r in codes if r.status_code == 429]
    assert limited, [r.status_code for r in codes]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"] == "rate_limited"
    assert public_server.store.count_events() == sum(r.status_code == 200 for r in codes)


def test_sdk_agent_with_token_in_otel_headers(tmp_path: Path, public_server: TeamServer):
    """An SDK agent passing its token through OTEL_EXPORTER_OTLP_HEADERS lands on a public server."""
    _, forge = new_token(public_server.store, "ingest", "FORGE")
    run_agent(
        tmp_path,
        public_server.url,
        "machine-c",
        "forge-tok-1",
        "FORGE",
        "complete",
        headers=f"Authorization=Bearer {forge}",
    )
    assert wait_for(lambda: public_server.store.find_session("forge-tok-1") is not None)
    assert wait_for(lambda: public_server.store.get_session("forge-tok-1").event_count == 4)


@pytest.fixture
def one_slot_server(tmp_path: Path) -> Iterator[TeamServer]:
    """A server that writes one request at a time and waits at most 0.3 s for the store."""
    home = tmp_path / "slot"
    with serve_in_thread(home, ingest=IngestConfig(max_inflight=1, queue_wait=0.3)) as url:
        yield TeamServer(home, url, SQLiteStore(home / "sessionoptimizer.db"))


def test_backed_up_store_answers_503_with_retry_after(one_slot_server: TeamServer):
    """While the store is locked by another writer, a second request gets 503 + Retry-After; the first lands."""
    server = one_slot_server
    assert _post(server, None, sid="warm").status_code == 200
    lock = sqlite3.connect(server.home / "sessionoptimizer.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    first: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: first.append(_post(server, None, sid="held", n=1)))
    thread.start()
    time.sleep(0.3)  # the first request now holds the only write slot, waiting for the lock
    second = _post(server, None, sid="held", n=2)
    lock.execute("COMMIT")
    thread.join(30)
    assert second.status_code == 503
    assert second.headers["Retry-After"] == "1"
    assert first[0].status_code == 200
    assert server.store.count_events("held") == 1
