"""Write commands whose write cannot be stored (the store's file may not grow): exit 1, one line, nothing claimed.

The store cannot grow because the command runs under a file-size limit (``RLIMIT_FSIZE``, a real kernel limit:
a write past it fails with EFBIG) while this test holds a read transaction open, so SQLite must append every
new commit to its write-ahead log instead of reusing it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE semantics of Linux")


def _cli(home: Path, *args: str, max_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``sessionoptimizer`` in a real subprocess, optionally unable to grow any file past ``max_file_bytes``."""

    def limit() -> None:
        assert max_file_bytes is not None
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home), "SESSIONOPTIMIZER_CAPTURE_CONTENT": "1"}
    env.pop("SESSIONOPTIMIZER_STRICT", None)  # a real user's process: faults are counted, not raised
    return subprocess.run(
        [sys.executable, "-m", "sessionoptimizer_sdk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit if max_file_bytes is not None else None,
    )


@pytest.fixture
def pinned(home: Path) -> Iterator[tuple[str, int]]:
    """A started session with one large event, and the size the store's WAL has while a reader pins it."""
    sid = _cli(home, "start", "ATLAS", "disk full").stdout.strip()
    reader = sqlite3.connect(home / "sessionoptimizer.db")  # open: the WAL outlives each command
    reader.execute("SELECT count(*) FROM sessions").fetchone()
    assert _cli(home, "log", sid, "FILE_READ", "--data", "text=" + "x" * 60_000).returncode == 0
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # a snapshot: the WAL cannot be reused
    wal = home / "sessionoptimizer.db-wal"
    try:
        yield sid, max(wal.stat().st_size, 32_768) + 512
    finally:
        reader.rollback()
        reader.close()


def _shown(home: Path, sid: str) -> dict[str, object]:
    result = _cli(home, "show", sid, "--format", "json")
    assert result.returncode == 0, result.stderr
    session = json.loads(result.stdout)["session"]
    assert isinstance(session, dict)
    return session


def test_log_that_cannot_be_stored_exits_1_with_one_error_line(home: Path, pinned: tuple[str, int]) -> None:
    """`log` whose event cannot be written prints no event id, one `error:` line naming the cause, exits 1."""
    sid, max_bytes = pinned
    result = _cli(home, "log", sid, "AI_RESPONSE", "--tokens-input", "7", max_file_bytes=max_bytes)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert result.stderr.startswith("error: event ") and result.stderr.count("\n") == 1, result.stderr
    assert "was not stored: writing the store failed (I/O error)" in result.stderr
    assert _shown(home, sid)["event_count"] == 1


def test_end_that_cannot_be_stored_exits_1_and_the_session_stays_active(
    home: Path, pinned: tuple[str, int]
) -> None:
    """`end` whose end cannot be written does not claim success: exit 1, one `error:` line, still ACTIVE."""
    sid, max_bytes = pinned
    result = _cli(home, "end", sid, max_file_bytes=max_bytes)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert (
        result.stderr == f"error: the end of session {sid} was not stored: writing the store failed "
        f"(I/O error) ({home / 'sessionoptimizer.db'})\n"
    )
    assert _shown(home, sid)["status"] == "ACTIVE"


def test_start_that_cannot_be_stored_exits_1_without_an_id(home: Path, pinned: tuple[str, int]) -> None:
    """`start` whose session cannot be written prints no id (scripts would use a phantom one) and exits 1."""
    _, max_bytes = pinned
    result = _cli(home, "start", "ATLAS", "never stored", "--session-id", "ghost", max_file_bytes=max_bytes)
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert (
        result.stderr.startswith("error: session ghost was not stored: ") and result.stderr.count("\n") == 1
    )
    assert _cli(home, "show", "ghost").returncode == 2


def test_log_and_end_succeed_with_room_to_write(home: Path) -> None:
    """With nothing in the way, `log` prints the event id and `end` ends the session, exit 0, stderr empty."""
    sid = _cli(home, "start", "ATLAS", "room").stdout.strip()
    logged = _cli(home, "log", sid, "TOOL_CALL", "--tokens-input", "5")
    assert (logged.returncode, logged.stderr) == (0, "") and len(logged.stdout.strip()) == 16
    ended = _cli(home, "end", sid)
    assert (ended.returncode, ended.stderr) == (0, "")
    assert _shown(home, sid)["status"] == "COMPLETED"
