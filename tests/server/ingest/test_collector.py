"""A real OpenTelemetry Collector in front of the team server: filelog -> batch -> otlphttp (gzip, retry, queue)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.server.ingest import IngestConfig, new_token
from sessionoptimizer_sdk.store import Store, open_store
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .collector import Relay, claude_event, collector_config, free_port, run_collector, serve_at
from .conftest import wait_for


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> Iterator[Store]:
    """A handle on the server's store (SQLite, then PostgreSQL) to check what arrived."""
    handle = open_store(store_url, Settings.from_env(tmp_path / "server"))
    try:
        yield handle
    finally:
        handle.close()


def _write(path: Path, sessions: dict[str, int], start: int = 0) -> None:
    """Append ``n`` Claude Code events per session (numbered from ``start``) to a JSON-lines file."""
    with path.open("a", encoding="utf-8") as fh:
        for sid, n in sessions.items():
            for i in range(start, start + n):
                fh.write(claude_event(sid, i) + "\n")


def _counts(store: Store, sids: list[str]) -> dict[str, int]:
    return {sid: store.count_events(sid) for sid in sids}


def test_collector_batches_with_the_ingest_token_and_stores_each_event_once(
    tmp_path: Path, store_url: str, store: Store
):
    """300 file records reach the server in gzip batches (far fewer requests than records), all as CLIO's."""
    home = tmp_path / "server"
    _, clio = new_token(store, "ingest", "CLIO")
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    sessions = {"cc-batch-1": 100, "cc-batch-2": 120, "cc-batch-3": 80}
    _write(logs / "claude.jsonl", sessions)
    with serve_at(home, port, store_url=store_url):
        relay = Relay(port)
        with relay.running() as relay_url:
            config = collector_config(str(logs / "*.jsonl"), relay_url, clio, batch=50)
            with run_collector(tmp_path, config):
                assert wait_for(lambda: store.count_events() >= 300, timeout=60), _counts(
                    store, list(sessions)
                )
                assert wait_for(lambda: len(relay.statuses) >= 6, timeout=5)
    assert _counts(store, list(sessions)) == sessions
    assert store.count_events() == 300
    # 300 records in batches of at most 50: at least 6 requests, and far fewer than one per record
    assert 6 <= len(relay.statuses) <= 30
    assert set(relay.statuses) == {200}
    assert set(relay.encodings) == {"gzip"}
    session = store.get_session("cc-batch-2")
    assert session.agent == "CLIO"
    assert session.tokens.input_tokens == 60 * 100  # 60 api_request events (odd numbers in 0..119) of 100
    assert store.session_origins(["cc-batch-2"])["cc-batch-2"] == ("clio-laptop", "claude_code")


def test_collector_retries_429_with_retry_after_and_nothing_is_lost_or_doubled(tmp_path: Path):
    """A server rate-limited to 1 request/s answers 429 + Retry-After; the Collector retries until all arrive once."""
    home = tmp_path / "server"
    store = SQLiteStore(home / "sessionoptimizer.db")
    _, clio = new_token(store, "ingest", "CLIO")
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    sessions = {"cc-429-a": 150, "cc-429-b": 150}
    _write(logs / "claude.jsonl", sessions)
    with serve_at(home, port, IngestConfig(rate_per_second=2.0, burst=1)):
        relay = Relay(port)
        with relay.running() as relay_url:
            config = collector_config(str(logs / "*.jsonl"), relay_url, clio, batch=25)
            with run_collector(tmp_path, config):
                assert wait_for(lambda: store.count_events() >= 300, timeout=90)
    statuses = Counter(relay.statuses)
    assert statuses[429] >= 1  # the server did push back
    assert statuses[200] >= 12  # 300 records in batches of at most 25
    assert _counts(store, list(sessions)) == sessions


def test_collector_survives_a_server_restart_mid_stream(tmp_path: Path, store_url: str, store: Store):
    """Records written while the server is down are queued and retried by the Collector: none lost or doubled."""
    home = tmp_path / "server"
    _, clio = new_token(store, "ingest", "CLIO")
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "claude.jsonl"
    url = f"http://127.0.0.1:{port}"
    with run_collector(tmp_path, collector_config(str(logs / "*.jsonl"), url, clio, batch=20)) as log:
        with serve_at(home, port, store_url=store_url):
            _write(path, {"cc-restart": 100})
            assert wait_for(lambda: store.count_events("cc-restart") == 100, timeout=60)
        _write(path, {"cc-restart": 100}, start=100)  # the server is down: the Collector must hold these
        _write(path, {"cc-restart-2": 50})
        assert store.count_events("cc-restart") == 100
        assert wait_for(lambda: "Will retry" in log.read_text(), timeout=10)  # refused while down: retrying
        with serve_at(home, port, store_url=store_url):
            assert wait_for(lambda: store.count_events() >= 250, timeout=60)
            time.sleep(1.0)  # a late duplicate (a retry of an already stored batch) would land now
    assert _counts(store, ["cc-restart", "cc-restart-2"]) == {"cc-restart": 200, "cc-restart-2": 50}


def test_collector_with_a_wrong_token_stores_nothing(tmp_path: Path):
    """A Collector configured with an unknown token gets 401 (not retried): nothing is stored."""
    home = tmp_path / "server"
    store = SQLiteStore(home / "sessionoptimizer.db")
    new_token(store, "ingest", "CLIO")
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    _write(logs / "claude.jsonl", {"cc-badtoken": 30})
    with serve_at(home, port):
        relay = Relay(port)
        with relay.running() as relay_url:
            config = collector_config(str(logs / "*.jsonl"), relay_url, "so_i_not-a-real-token")
            with run_collector(tmp_path, config):
                assert wait_for(lambda: len(relay.statuses) >= 1, timeout=30)
                time.sleep(1.0)  # a retry (there must be none after a 401) would land now
    assert set(relay.statuses) == {401}
    assert store.count_events() == 0
    assert store.count_sessions() == 0
