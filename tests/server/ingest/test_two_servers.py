"""Two ``sessionoptimizer serve`` processes on one PostgreSQL database share the load: nothing lost or doubled."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store import Store, open_store

from .conftest import run_agent, wait_for
from .payloads import event_span, traces

PB = {"Content-Type": "application/x-protobuf"}
AGENTS = 6  # SDK agent processes, half exporting to each server
# Each agent session (agent_process.py): 3 reads of 3,000 tokens + one response of 4,000 in / 1,500 out.
EVENTS, INPUT, OUTPUT = 4, 3 * 3000 + 4000, 1500
DUP_SPANS = 10  # one OTLP request delivered to both servers, twice each (100 input tokens per span)


class _Server:
    """One ``sessionoptimizer serve --store URL --port 0`` subprocess and the URL it printed."""

    def __init__(self, home: Path, store_url: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("SESSIONOPTIMIZER_STRICT", None)
        cmd = [sys.executable, "-m", "sessionoptimizer_sdk.cli", "--home", str(home), "serve"]
        self.proc = subprocess.Popen(
            [*cmd, "--store", store_url, "--port", "0", "--poll-interval", "0.2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("SessionOptimizer dashboard:"):
                self.url = line.split(": ", 1)[1].strip().rstrip("/")

    def ready(self) -> bool:
        if not self.url:
            return False
        try:
            return httpx.get(f"{self.url}/api/sessions", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> int:
        self.proc.terminate()
        code = self.proc.wait(timeout=15)
        self._reader.join(timeout=5)  # the pipe is at EOF once the process is gone
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code


@pytest.fixture
def two_servers(tmp_path: Path, pg_url: str) -> Iterator[tuple[_Server, _Server, Store]]:
    """Two server processes started together on one fresh PostgreSQL schema, and a handle on that store."""
    servers = [_Server(tmp_path / f"server-{n}", pg_url) for n in (1, 2)]
    try:
        for server in servers:
            assert wait_for(server.ready, timeout=30), "a server did not start"
        store = open_store(pg_url, Settings.from_env(tmp_path))
        yield servers[0], servers[1], store
        store.close()
    finally:
        codes = [server.stop() for server in servers]
    assert all(code in (0, -15) for code in codes), codes


def _post_dup(url: str) -> int:
    body = traces(*(event_span("dup-1", n) for n in range(DUP_SPANS))).SerializeToString()
    return httpx.post(f"{url}/v1/traces", content=body, headers=PB, timeout=30).status_code


def test_two_servers_on_one_postgresql_lose_and_double_nothing(
    tmp_path: Path, two_servers: tuple[_Server, _Server, Store]
) -> None:
    """Agents split over two servers, a session crossing them and a request sent 4 times all arrive exactly once."""
    a, b, store = two_servers
    jobs = [(a if i % 2 == 0 else b, f"machine-{i}", f"agent-{i}") for i in range(AGENTS)]
    with ThreadPoolExecutor(max_workers=AGENTS + 4) as pool:
        done = [
            pool.submit(run_agent, tmp_path, s.url, host, sid, "FORGE", "complete") for s, host, sid in jobs
        ]
        dups = [pool.submit(_post_dup, server.url) for server in (a, b, a, b)]
        for future in done:
            future.result()
        assert [d.result() for d in dups] == [200] * 4
    run_agent(tmp_path, a.url, "machine-x", "split-1", "ATLAS", "start-only")
    run_agent(tmp_path, b.url, "machine-x", "split-1", "ATLAS", "end-only")
    completed = [sid for _, _, sid in jobs] + ["split-1"]

    def all_ended() -> bool:
        found = [store.find_session(sid) for sid in completed]
        return all(s is not None and s.status is SessionStatus.COMPLETED for s in found)

    assert wait_for(all_ended, timeout=30)
    assert store.count_sessions() == AGENTS + 2
    assert store.count_events() == (AGENTS + 1) * EVENTS + DUP_SPANS
    for sid in completed:
        session = store.get_session(sid)
        assert (session.event_count, session.tokens.input_tokens, session.tokens.output_tokens) == (
            EVENTS,
            INPUT,
            OUTPUT,
        ), sid
        assert store.count_events(sid) == EVENTS
    dup = store.get_session("dup-1")
    assert (dup.event_count, dup.tokens.input_tokens, store.count_events("dup-1")) == (
        DUP_SPANS,
        DUP_SPANS * 100,
        DUP_SPANS,
    )
    origins = store.session_origins(completed)
    assert {sid: origins[sid] for _, _, sid in jobs} == {sid: (host, "sdk") for _, host, sid in jobs}
    assert origins["split-1"] == ("machine-x", "sdk")
