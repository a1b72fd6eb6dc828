"""``follow``: a transcript appended to by a real subprocess is imported live, ACTIVE then COMPLETED."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.importers.follow import follow
from sessionoptimizer_sdk.importers.runner import ImportSummary
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.importers._import_fixtures import CLAUDE_FILES

SOURCE = next(p for p in CLAUDE_FILES if p.name.startswith("ba79134d"))
WRITER = """
import sys, time
src, dst, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
lines = open(src, encoding="utf-8").read().splitlines(keepends=True)
for i in range(0, len(lines), 10):
    with open(dst, "a", encoding="utf-8") as fh:
        fh.write("".join(lines[i:i + 10]))
    time.sleep(pause)
"""


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_follow_imports_appended_lines_live_and_completes_after_idle(
    tmp_path: Path, store: SQLiteStore
) -> None:
    """While a subprocess appends, the session is ACTIVE and grows; after the idle timeout it is COMPLETED."""
    folder = tmp_path / "projects" / "-demo"
    folder.mkdir(parents=True)
    target = folder / SOURCE.name
    target.write_text("", encoding="utf-8")
    expected = load_transcript(SOURCE)
    sid = expected.session.id
    stop = threading.Event()
    updates: list[ImportSummary] = []
    box: dict[str, ImportSummary] = {}
    worker = threading.Thread(
        target=lambda: box.setdefault(
            "summary",
            follow(
                store,
                "claude-code",
                [folder.parent],
                poll_interval=0.1,
                idle_timeout=1.5,
                stop=stop,
                on_update=updates.append,
            ),
        )
    )
    worker.start()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(SOURCE), str(target), "0.15"])
    try:
        seen_active = _wait_for(
            lambda: (
                (s := store.find_session(sid)) is not None
                and s.status is SessionStatus.ACTIVE
                and s.event_count > 0
            )
        )
        assert seen_active, "the growing transcript never showed up as an ACTIVE session"
        assert writer.wait(timeout=30) == 0
        assert _wait_for(lambda: store.get_session(sid).status is SessionStatus.COMPLETED, timeout=10)
    finally:
        stop.set()
        worker.join(timeout=10)
        writer.kill()
    session = store.get_session(sid)
    assert session.tokens == expected.session.tokens
    assert session.event_count == len(expected.events)
    assert session.ended_at == session.last_event_at
    assert len(updates) >= 2
    assert box["summary"].events >= len(expected.events)
