"""Fixtures for the OTLP ingest tests: a real uvicorn team server and SDK agents in separate processes."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.server.ingest import IngestConfig
from sessionoptimizer_sdk.server.runner import serve_in_thread
from sessionoptimizer_sdk.store import Store, open_store

AGENT_SCRIPT = Path(__file__).with_name("agent_process.py")


@dataclass(frozen=True)
class TeamServer:
    """A running team server: its store folder, base URL and a store handle to check what arrived."""

    home: Path
    url: str
    store: Store
    store_url: str = ""


def _store_url(request: pytest.FixtureRequest, home: Path) -> str:
    """The server's store: SQLite in ``home`` unless the test asks for ``postgresql`` (indirect parameter)."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite://{home / 'sessionoptimizer.db'}"


@contextlib.contextmanager
def _serve(home: Path, store_url: str, **options: Any) -> Iterator[TeamServer]:
    with serve_in_thread(home, poll_interval=0.2, store_url=store_url, **options) as url:
        store = open_store(store_url, Settings.from_env(home))
        try:
            yield TeamServer(home, url, store, store_url)
        finally:
            store.close()


@pytest.fixture
def team_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TeamServer]:
    """A team server on 127.0.0.1 (open ingest: loopback, no tokens) on SQLite, or PostgreSQL when asked."""
    home = tmp_path / "server"
    with _serve(home, _store_url(request, home)) as server:
        yield server


@pytest.fixture
def public_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TeamServer]:
    """A team server configured as if bound publicly: ingest and reads need tokens; tight limits."""
    home = tmp_path / "public"
    config = IngestConfig(require_tokens=True, rate_per_second=5.0, burst=5)
    with _serve(home, _store_url(request, home), ingest=config, public=True) as server:
        yield server


#: Decorators running a test of ``team_server`` / ``public_server`` once on SQLite and once on PostgreSQL.
TEAM_ON_BOTH = pytest.mark.parametrize("team_server", ["sqlite", "postgresql"], indirect=True)
PUBLIC_ON_BOTH = pytest.mark.parametrize("public_server", ["sqlite", "postgresql"], indirect=True)


def run_agent(
    tmp_path: Path, url: str, host: str, sid: str, agent: str, mode: str, *, headers: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run one SDK agent process with its own local store, exporting to ``url`` as machine ``host``."""
    env = {
        **os.environ,
        "SESSIONOPTIMIZER_HOME": str(tmp_path / f"local-{host}"),
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_RESOURCE_ATTRIBUTES": f"host.name={host},sessionoptimizer.agent={agent}",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    if headers:
        env["OTEL_EXPORTER_OTLP_HEADERS"] = headers
    env.pop("SESSIONOPTIMIZER_STRICT", None)
    return subprocess.run(
        [sys.executable, str(AGENT_SCRIPT), sid, agent, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
