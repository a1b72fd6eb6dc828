"""A real Collector -> nginx (load balancer) -> two ``serve`` processes -> one PostgreSQL: spread, failover, retry."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.server.ingest import new_token
from sessionoptimizer_sdk.store import Store, open_store

from .collector import claude_event, collector_binary, collector_config, free_port, run_collector
from .conftest import wait_for
from .nginx_lb import Hit, ServeProcess, nginx_binary, read_hits, run_nginx


@pytest.fixture
def pg_store(tmp_path: Path, pg_url: str) -> Iterator[Store]:
    """A handle on the fresh PostgreSQL schema both servers share, to check what arrived."""
    handle = open_store(pg_url, Settings.from_env(tmp_path / "checker"))
    try:
        yield handle
    finally:
        handle.close()


def _write(path: Path, sid: str, start: int, n: int) -> None:
    """Append Claude Code events ``start`` .. ``start + n - 1`` of session ``sid`` to a JSON-lines file."""
    with path.open("a", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(claude_event(sid, i) + "\n")


def _answered_by(hits: list[Hit]) -> Counter[str]:
    """How many requests each upstream answered (the last one nginx tried)."""
    return Counter(hit.upstreams[-1] for hit in hits)


def test_collector_through_nginx_spreads_fails_over_and_retries_with_nothing_lost_or_doubled(
    tmp_path: Path, pg_url: str, pg_store: Store
) -> None:
    """Both servers take a share; a SIGKILLed server, then a full outage, lose and double nothing."""
    collector_binary()  # skip reasons first, before anything starts
    nginx_binary()
    _, clio = new_token(pg_store, "ingest", "CLIO")
    a = ServeProcess(tmp_path / "serve-a", pg_url, free_port())
    b = ServeProcess(tmp_path / "serve-b", pg_url, free_port())
    addr_a, addr_b = f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "claude.jsonl"
    prefix = tmp_path / "nginx"
    try:
        a.start()
        b.start()
        assert wait_for(lambda: a.ready() and b.ready(), timeout=30), "a server did not start"
        with run_nginx(prefix, free_port(), [a.port, b.port]) as lb_url:
            config = collector_config(str(logs / "*.jsonl"), lb_url, clio, batch=20)
            with run_collector(tmp_path, config) as collector_log:
                # (1) both servers up: 240 records in batches of at most 20 (>= 12 requests), round robin
                _write(path, "lb-1", 0, 120)
                _write(path, "lb-2", 0, 120)
                assert wait_for(lambda: pg_store.count_events() >= 240, timeout=60)
                assert wait_for(lambda: len(read_hits(prefix)) >= 12, timeout=5)
                spread = read_hits(prefix)
                assert {hit.status for hit in spread} == {200}
                shares = _answered_by(spread)
                assert set(shares) == {addr_a, addr_b}, shares
                assert min(shares.values()) >= len(spread) // 4, shares  # each took a real share

                # (2) SIGKILL server A mid-stream: nginx moves its requests to B, the Collector sees 200s
                _write(path, "lb-3", 0, 100)
                time.sleep(0.3)
                a.kill()
                before_kill = len(read_hits(prefix))
                for chunk in range(10):
                    _write(path, "lb-3", 100 + 20 * chunk, 20)
                    time.sleep(0.05)
                assert wait_for(lambda: pg_store.count_events("lb-3") >= 300, timeout=60)
                time.sleep(0.5)  # let the last requests reach the access log
                after_kill = read_hits(prefix)[before_kill:]
                assert after_kill, "no request went through nginx after the kill"
                assert {hit.status for hit in after_kill} == {200}
                failovers = [h for h in after_kill if h.upstreams == (addr_a, addr_b)]
                assert failovers, after_kill  # at least one request tried dead A, then B answered
                assert all(h.upstream_statuses[-1] == "200" for h in failovers)

                # (3) B down too: nginx has no live upstream (502) and the Collector keeps retrying
                b.kill()
                before_outage = len(read_hits(prefix))
                _write(path, "lb-4", 0, 100)
                assert wait_for(
                    lambda: any(h.status == 502 for h in read_hits(prefix)[before_outage:]), timeout=20
                )
                assert wait_for(lambda: "Will retry" in collector_log.read_text(), timeout=10)
                assert pg_store.count_events("lb-4") == 0
                a.start()
                b.start()
                assert wait_for(lambda: a.ready() and b.ready(), timeout=30), "a restart failed"
                assert wait_for(lambda: pg_store.count_events("lb-4") >= 100, timeout=60)
                time.sleep(1.0)  # a late duplicate (a retry of a batch already stored) would land now
    finally:
        codes = [a.stop(), b.stop()]
    assert all(code in (0, -15) for code in codes), codes
    # (2) every record exactly once in PostgreSQL: per session, in total, and in the token sums
    expected = {"lb-1": 120, "lb-2": 120, "lb-3": 300, "lb-4": 100}
    assert {sid: pg_store.count_events(sid) for sid in expected} == expected
    assert pg_store.count_events() == sum(expected.values())
    for sid, n in expected.items():
        session = pg_store.get_session(sid)
        # odd-numbered events are api_requests of 100 input / 20 output tokens: n // 2 of them
        assert (session.agent, session.tokens.input_tokens, session.tokens.output_tokens) == (
            "CLIO",
            (n // 2) * 100,
            (n // 2) * 20,
        ), sid
