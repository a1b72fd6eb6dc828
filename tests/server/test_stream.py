"""The Server-Sent Events stream pushes session starts, token updates, ends and alerts as they happen."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from sessionoptimizer_sdk import SessionOptimizer


def _collect(
    url: str, until_id: str, out: list[tuple[str, Any]], ready: threading.Event, deadline: float
) -> None:
    with httpx.stream("GET", url + "/api/stream", timeout=httpx.Timeout(30.0)) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                data = json.loads(line[6:])
                out.append((event, data))
                if event == "session_end" and data.get("id") == until_id:
                    return
            if time.monotonic() > deadline:
                return


def test_stream_reports_start_tokens_end_and_alerts_of_a_session(seeded):
    """A session started, logged to and ended in another optimizer shows up on the stream in that order."""
    events: list[tuple[str, Any]] = []
    ready = threading.Event()
    opt = SessionOptimizer(seeded.home)
    sid = "stream-test-session"
    reader = threading.Thread(
        target=_collect, args=(seeded.url, sid, events, ready, time.monotonic() + 30), daemon=True
    )
    reader.start()
    try:
        assert ready.wait(10), "the stream did not open"
        time.sleep(0.3)  # let the stream take its first snapshot
        opt.start_session("NEXUS", "Stream me", "claude-sonnet-4-5", session_id=sid)
        opt.flush()
        time.sleep(0.5)
        for _ in range(3):  # re-reads of a big file: waste above the alert threshold
            opt.log_event(sid, "FILE_READ", {"file_path": "huge.py"}, tokens_input=6000)
        opt.flush()
        time.sleep(0.5)
        opt.end_session(sid)
        opt.flush()
        reader.join(timeout=20)
    finally:
        opt.delete_session(sid)
        opt.shutdown()
    mine = [(e, d) for e, d in events if d.get("id") == sid or d.get("session_id") == sid]
    names = [e for e, _ in mine]
    assert names[0] == "session_start"
    assert "tokens" in names
    assert "session_end" in names
    assert names.index("tokens") < names.index("session_end")
    last_tokens = [d for e, d in mine if e == "tokens"][-1]
    assert last_tokens["tokens"] == 18000
    end = next(d for e, d in mine if e == "session_end")
    assert end["status"] == "COMPLETED"
