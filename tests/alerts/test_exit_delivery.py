"""Alerts still queued or in flight at process exit are logged once and counted (``dropped_at_exit``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sessionoptimizer_sdk.store.sqlite import SQLiteStore

AGENT = textwrap.dedent(
    """
    import logging, sys
    from datetime import UTC, datetime, timedelta
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="LOG %(message)s")
    from sessionoptimizer_sdk import EventType, SessionOptimizer, _lifecycle
    from sessionoptimizer_sdk.alerts import WebhookNotifier
    _lifecycle.EXIT_DEADLINE = float(sys.argv[2])
    opt = SessionOptimizer(notifiers=[WebhookNotifier(sys.argv[1], timeout=30)])
    t = datetime.now(UTC) - timedelta(minutes=5)
    for n in range(2):
        s = opt.start_session("ATLAS", "task", model="claude-sonnet-4-5")
        for i in range(4):  # re-reads: low efficiency and high waste
            opt.log_event(s.id, EventType.FILE_READ, {"file_path": "big.py"}, tokens_input=3000, timestamp=t)
        opt.end_session(s.id)
    opt.flush(10)  # the events; analyses and alerts are left to the exit
    print(opt.store.path, flush=True)
    """
)


class Hanging:
    """A real webhook receiver on 127.0.0.1 that accepts each POST and never answers until closed."""

    def __init__(self) -> None:
        self.posts = 0
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.posts += 1
                owner.release.wait(30)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Release the held requests and stop the server."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    """A hanging receiver, closed after the test."""
    h = Hanging()
    yield h
    h.close()


def _refused_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(url: str, home: Path, deadline: float) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home)}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", AGENT, url, str(deadline)], env=env, capture_output=True, text=True, timeout=30
    )
    return proc, time.monotonic() - start


def test_alerts_queued_behind_a_hanging_webhook_are_counted_at_exit(hanging: Hanging, tmp_path: Path) -> None:
    """Exit within the deadline; every stored alert not delivered is counted dropped_at_exit and logged once."""
    port = hanging.server.server_port
    proc, took = _run(f"http://127.0.0.1:{port}/hook?token=QSECRET", tmp_path / "home", 1.0)
    assert proc.returncode == 0, proc.stderr
    store = SQLiteStore(Path(proc.stdout.strip()))
    stored = len(store.list_alerts())
    assert stored >= 2 and hanging.posts == 1  # the first delivery was in flight, the others queued
    assert store.counters().get("alerts_undelivered_dropped_at_exit") == stored
    assert store.counters().get("callback_failures") == stored
    lines = [line for line in proc.stderr.splitlines() if "alert not delivered" in line]
    assert len(lines) == 1 and f"count={stored}" in lines[0] and "dropped_at_exit" in lines[0]
    assert "QSECRET" not in proc.stderr
    assert took < 1.0 + 2.5  # start-up plus the exit deadline, not the webhook's 30 s timeout


def test_every_alert_to_a_refused_webhook_is_counted_at_exit(tmp_path: Path) -> None:
    """A refusing webhook: each stored alert gets one attempt at exit, and each failure is counted with its cause."""
    proc, _ = _run(f"http://127.0.0.1:{_refused_port()}/hook", tmp_path / "home", 5.0)
    assert proc.returncode == 0, proc.stderr
    store = SQLiteStore(Path(proc.stdout.strip()))
    stored = len(store.list_alerts())
    counters = store.counters()
    undelivered = sum(n for k, n in counters.items() if k.startswith("alerts_undelivered_"))
    assert stored >= 2 and undelivered == stored == counters.get("callback_failures")
    assert proc.stderr.count("alert not delivered") == counters.get("alerts_undelivered_network")
