"""Import defects found by testing: untimed lines, rewritten files, unexpected record faults, odd times, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.importers.runner import import_file, import_paths
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.importers._import_fixtures import FIXTURES, SWE_FILES, records, reference_usage

#: A real 21-line Claude Code transcript (16 events) and a larger one, both with a timestamp on each line.
SMALL = FIXTURES / "claude-code-sniffly/-Users-chip-dev-ai-music/fed8ce56-bc79-401f-a83e-af084253362f.jsonl"
LARGE = FIXTURES / "claude-code-sniffly/-Users-chip-dev-ai-music/ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl"
SID = "44444444-4444-4444-4444-000000000001"
KEY = "sk-ant-api03-SECRETKEYabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ-XYZ"
GITHUB = "ghp_SECRETTOKENaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
AWS = "AKIAIOSFODNN7EXAMPLE"
_TEXT: dict[str, Any] = {"capture_output": True, "text": True, "timeout": 30, "check": False}


def _write(path: Path, lines: list[dict[str, Any]], mode: str = "w") -> Path:
    with path.open(mode, encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in lines)
    return path


def _untimed(lines: list[dict[str, Any]], first: int) -> list[dict[str, Any]]:
    """``lines`` with the timestamp removed from the first ``first`` of them."""
    return [{k: v for k, v in r.items() if k != "timestamp" or i >= first} for i, r in enumerate(lines)]


def _stored(store: SQLiteStore, sid: str) -> tuple[Session, list[tuple[str, datetime, int, int, int, int]]]:
    """A session and its events as a user sees them: id, time and token counts."""
    rows = [
        (e.id, e.timestamp, e.tokens_input, e.tokens_output, e.cache_read_tokens, e.cache_write_tokens)
        for e in store.get_events(sid)
    ]
    return store.get_session(sid), sorted(rows)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[list[SQLiteStore]]:
    """Opens fresh SQLite stores on demand (closed at the end)."""
    opened: list[SQLiteStore] = []
    yield opened
    for s in opened:
        s.close()


def _new_store(stores: list[SQLiteStore], folder: Path) -> SQLiteStore:
    stores.append(SQLiteStore(folder / "sessionoptimizer.db"))
    return stores[-1]


def test_incremental_import_of_a_file_with_untimed_first_lines_equals_one_import(
    tmp_path: Path, stores: list[SQLiteStore]
) -> None:
    """Importing a transcript in two parts, split anywhere, stores exactly what one import of the whole stores."""
    lines = _untimed(records(SMALL), 12)
    whole = _new_store(stores, tmp_path / "whole")
    import_paths(whole, "claude-code", [_write(tmp_path / f"{SID}.jsonl", lines)])
    expected = _stored(whole, SID)
    assert expected[0].tokens.total_tokens == sum(reference_usage(SMALL))
    for cut in range(1, len(lines)):
        folder = tmp_path / f"cut{cut}"
        folder.mkdir()
        path = _write(folder / f"{SID}.jsonl", lines[:cut])
        store = _new_store(stores, folder)
        first = import_paths(store, "claude-code", [path])
        _write(path, lines[cut:], "a")
        import_paths(store, "claude-code", [path])
        session, events = _stored(store, SID)
        assert (session.tokens, session.event_count, events) == (
            expected[0].tokens,
            expected[0].event_count,
            expected[1],
        ), f"split after line {cut}"
        if cut <= 12:  # nothing timed yet: nothing stored, and the file says why
            assert (first.events, [s.line for s in first.skipped]) == (0, [0])


def test_lines_before_the_first_timestamp_are_placed_at_it(tmp_path: Path, store: SQLiteStore) -> None:
    """Events of lines before the transcript's first timestamp take that timestamp, never 1970."""
    lines = _untimed(records(SMALL), 12)
    first_ts = datetime.fromisoformat(lines[12]["timestamp"])
    import_paths(store, "claude-code", [_write(tmp_path / f"{SID}.jsonl", lines)])
    stamps = [e.timestamp for e in store.get_events(SID)]
    assert min(stamps) == first_ts == store.get_session(SID).started_at


def test_a_file_without_any_timestamp_is_reported_then_imported_once_one_appears(
    tmp_path: Path, store: SQLiteStore
) -> None:
    """A transcript with no timestamp stores nothing and says why; appending one timed line imports it all."""
    lines = records(SMALL)
    path = _write(tmp_path / f"{SID}.jsonl", _untimed(lines, len(lines)))
    summary = import_paths(store, "claude-code", [path])
    assert (summary.events, store.count_sessions()) == (0, 0)
    assert [(s.line, s.reason.split(":")[0]) for s in summary.skipped] == [
        (0, "no line has a valid timestamp")
    ]
    again = import_paths(store, "claude-code", [path])
    assert (again.unchanged_files, again.skipped) == (1, ())  # reported once, not on every poll
    _write(path, [lines[-1]], "a")  # one timed line
    import_paths(store, "claude-code", [path])
    assert store.get_session(SID).tokens.total_tokens == sum(reference_usage(SMALL))


def test_a_file_rewritten_in_place_is_read_again_and_replaces_its_session(
    tmp_path: Path, stores: list[SQLiteStore]
) -> None:
    """A transcript truncated and rewritten longer (same inode) holds only its new content's events after import."""
    path = tmp_path / "d" / f"{SID}.jsonl"
    path.parent.mkdir()
    store = _new_store(stores, tmp_path / "inc")
    path.write_bytes(SMALL.read_bytes())
    first = import_paths(store, "claude-code", [path])
    inode = path.stat().st_ino
    with path.open("r+b") as fh:  # copytruncate-style rewrite: same inode, longer content
        fh.truncate(0)
        fh.write(LARGE.read_bytes())
    assert path.stat().st_ino == inode and path.stat().st_size > SMALL.stat().st_size
    again = import_paths(store, "claude-code", [path])
    fresh = _new_store(stores, tmp_path / "fresh")
    import_paths(fresh, "claude-code", [path])
    assert _stored(store, SID)[1] == _stored(fresh, SID)[1]
    assert store.get_session(SID).tokens.total_tokens == sum(reference_usage(LARGE))
    assert (again.replaced_events, again.skipped) == (first.events, ())


def test_a_grown_file_is_still_read_from_its_offset(tmp_path: Path, store: SQLiteStore) -> None:
    """Appending to a transcript reads only the new bytes (the rewrite check does not force a full re-read)."""
    lines = records(SMALL)
    path = _write(tmp_path / f"{SID}.jsonl", lines[:10])
    import_paths(store, "claude-code", [path])
    size = path.stat().st_size
    _write(path, lines[10:], "a")
    grown = import_paths(store, "claude-code", [path])
    assert (grown.bytes_read, grown.replaced_events) == (path.stat().st_size - size, 0)


class _FaultyParser:
    """A plugin parser that fails with an unexpected exception type on records marked ``boom``."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._events: list[SessionEvent] = []
        self._n = 0

    def feed(self, record: Mapping[str, Any], line: int) -> None:
        if record.get("boom"):
            raise OverflowError("date value out of range")
        self._n += 1
        sid = self._path.stem
        ts = datetime(2026, 1, 1, tzinfo=UTC)
        self._events.append(SessionEvent(f"{sid}:e{line}", sid, EventType.USER_MESSAGE, ts))

    def take_events(self) -> list[SessionEvent]:
        out, self._events = self._events, []
        return out

    def session(self, status: SessionStatus) -> Session | None:
        ts = datetime(2026, 1, 1, tzinfo=UTC)
        return Session(self._path.stem, "t", "t", "m", status, ts, ts) if self._n else None

    def state(self) -> dict[str, Any]:
        return {}


class _FaultyImporter:
    name = "faulty"
    whole_file = False

    def default_paths(self) -> list[Path]:
        return []

    def discover(self, path: Path) -> Iterator[Path]:
        yield path

    def parser(
        self, path: Path, *, agent: str | None, capture_content: bool, state: Mapping[str, Any] | None
    ) -> _FaultyParser:
        return _FaultyParser(path)


def test_an_unexpected_exception_on_one_line_skips_only_that_line(tmp_path: Path, store: SQLiteStore) -> None:
    """A parser fault other than ValueError on one line is reported as that line skipped; the rest imports."""
    path = _write(tmp_path / "run.jsonl", [{"n": 1}, {"boom": True}, {"n": 3}])
    result = import_file(store, _FaultyImporter(), path)
    assert [(s.line, s.reason) for s in result.skipped] == [
        (2, "unexpected record: OverflowError: date value out of range")
    ]
    assert store.count_events("run") == 2


def test_swe_agent_absurd_step_times_and_token_totals_import(tmp_path: Path, store: SQLiteStore) -> None:
    """A trajectory with execution_time 1e300 and infinite token totals imports with bounded values."""
    doc = json.loads(SWE_FILES[0].read_text(encoding="utf-8"))
    for step in doc["trajectory"]:
        step["execution_time"] = 1e300
    doc["info"]["model_stats"]["tokens_sent"] = float("inf")
    doc["info"]["model_stats"]["tokens_received"] = 10**30
    (tmp_path / "bad").mkdir()
    bad = tmp_path / "bad" / "bad.traj"
    bad.write_text(json.dumps(doc).replace("Infinity", "1e999"), encoding="utf-8")
    (tmp_path / "ok").mkdir()
    good = tmp_path / "ok" / "ok.traj"
    good.write_bytes(SWE_FILES[0].read_bytes())
    summary = import_paths(store, "swe-agent", [tmp_path])
    assert (summary.sessions, summary.skipped) == (2, ())
    session = store.get_session("bad")
    steps = len(doc["trajectory"])
    assert session.ended_at is not None and session.started_at is not None
    assert (session.ended_at - session.started_at).total_seconds() == steps * 1.0  # unknown step times: 1 s
    assert (session.tokens.input_tokens, session.tokens.output_tokens) == (
        0,
        2**40,
    )  # inf: unknown; 1e30: capped


@pytest.mark.parametrize("odd", ["0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z", 0])
def test_an_out_of_range_timestamp_never_becomes_the_session_start(
    tmp_path: Path, store: SQLiteStore, odd: object
) -> None:
    """A line stamped year 0001, 1900 or epoch 0 is placed like an untimed line; the session keeps its real span."""
    lines = records(SMALL)
    timed = [datetime.fromisoformat(r["timestamp"]) for r in lines if r.get("type") in {"user", "assistant"}]
    lines[3] = {**lines[3], "timestamp": odd}
    import_paths(store, "claude-code", [_write(tmp_path / f"{SID}.jsonl", lines)])
    session = store.get_session(SID)
    assert session.started_at == min(timed)
    assert min(e.timestamp for e in store.get_events(SID)) >= min(timed)


def _with_secrets() -> list[dict[str, Any]]:
    lines = records(SMALL)
    lines[1]["message"]["content"] = (
        f"push it, my key is {KEY} and AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENG"
    )
    for block in lines[10]["message"]["content"]:
        if block.get("type") == "tool_use":
            block["input"]["command"] = (
                f"AWS_ACCESS_KEY_ID={AWS} git push https://{GITHUB}@github.com/x/y.git"
            )
    for block in lines[12]["message"]["content"]:
        if block.get("type") == "tool_result":
            block["content"] = f"error: authentication failed for token {GITHUB} / key {KEY}"
    return lines


def test_captured_content_is_scrubbed_of_credentials(tmp_path: Path) -> None:
    """With --capture-content, keys typed in a prompt, a command or a result reach neither the task nor events."""
    home = tmp_path / "home"
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home)}
    path = _write(tmp_path / f"{SID}.jsonl", _with_secrets())
    cli = [sys.executable, "-m", "sessionoptimizer_sdk.cli"]
    imported = subprocess.run(
        [*cli, "import", "claude-code", str(path), "--capture-content"], env=env, **_TEXT
    )
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run([*cli, "list", "--format", "json"], env=env, **_TEXT)
    task = json.loads(listed.stdout)["sessions"][0]["task"]
    assert task == "push it, my key is [REDACTED] and AWS_SECRET_ACCESS_KEY=[REDACTED]"
    store = SQLiteStore(home / "sessionoptimizer.db")
    stored = json.dumps([dict(e.data) for e in store.get_events(SID)])
    store.close()
    for secret in (KEY, GITHUB, AWS, "wJalrXUtnFEMIK7MDENG", "SECRETKEY", "SECRETTOKEN"):
        assert secret not in stored and secret not in listed.stdout
    assert "git push https://[REDACTED]@github.com/x/y.git" in stored


def test_in_memory_loading_places_untimed_first_lines_at_the_first_timestamp(tmp_path: Path) -> None:
    """load_transcript gives events of lines before the first timestamp that timestamp, as the import does."""
    lines = _untimed(records(SMALL), 12)
    loaded = load_transcript(_write(tmp_path / f"{SID}.jsonl", lines))
    assert min(e.timestamp for e in loaded.events) == datetime.fromisoformat(lines[12]["timestamp"])
    assert loaded.session.tokens.total_tokens == sum(reference_usage(SMALL))
