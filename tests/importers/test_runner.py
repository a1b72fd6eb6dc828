"""Importing into the store: totals, idempotence, incremental cursors, malformed and truncated lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sessionoptimizer_sdk.errors import ImportSourceError, InvalidInputError
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.importers.runner import import_paths
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.importers._import_fixtures import CLAUDE_DIRS, CLAUDE_FILES, has_session

BIG = next(p for p in CLAUDE_FILES if p.name.startswith("d3ad4cdc"))


def test_store_totals_equal_the_loaded_sessions(store: SQLiteStore) -> None:
    """After importing every real transcript, each stored session has the loader's totals and event count."""
    summary = import_paths(store, "claude-code", list(CLAUDE_DIRS))
    expected = [load_transcript(p) for p in CLAUDE_FILES if has_session(p)]
    assert summary.sessions == len(expected) == store.count_sessions()
    assert summary.events == sum(len(e.events) for e in expected)
    for imported in expected:
        stored = store.get_session(imported.session.id)
        assert stored.tokens == imported.session.tokens
        assert stored.event_count == len(imported.events)
        assert stored.metadata["source_path"] == imported.session.metadata["source_path"]
    assert [s.reason for s in summary.skipped] == ["no session records in this file"]


def test_importing_again_adds_nothing(store: SQLiteStore) -> None:
    """A second import of unchanged files reads nothing and leaves sessions and events as they were."""
    import_paths(store, "claude-code", list(CLAUDE_DIRS))
    before = (store.count_sessions(), store.count_events(), [s.tokens for s in store.list_sessions()])
    again = import_paths(store, "claude-code", list(CLAUDE_DIRS))
    assert (again.sessions, again.events, again.lines) == (0, 0, 0)
    assert again.unchanged_files == again.files == len(CLAUDE_FILES)
    assert (store.count_sessions(), store.count_events(), [s.tokens for s in store.list_sessions()]) == before


def _split_inside_a_response(lines: list[str]) -> int:
    """Index of a line that repeats the previous line's response (so the cut falls inside one response)."""
    for i in range(1, len(lines)):
        a, b = json.loads(lines[i - 1]), json.loads(lines[i])
        same = a.get("type") == b.get("type") == "assistant" and a["message"]["id"] == b["message"]["id"]
        if same and b["message"]["usage"]["output_tokens"] != a["message"]["usage"]["output_tokens"]:
            return i
    raise AssertionError("no response spans two lines with different output_tokens")


def test_a_grown_file_imports_only_its_new_lines(tmp_path: Path, store: SQLiteStore) -> None:
    """Importing a file, then its appended rest (cut inside one response), equals importing it whole."""
    lines = BIG.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = _split_inside_a_response(lines)
    path = tmp_path / BIG.name
    path.write_text("".join(lines[:cut]), encoding="utf-8")
    first = import_paths(store, "claude-code", [path])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(lines[cut:]))
    second = import_paths(store, "claude-code", [path])
    assert (first.lines, second.lines) == (cut, len(lines) - cut)
    assert second.bytes_read == sum(len(x.encode()) for x in lines[cut:])
    whole = load_transcript(BIG)
    stored = store.get_session(whole.session.id)
    assert stored.tokens == whole.session.tokens
    assert stored.event_count == len(whole.events)


def test_malformed_and_truncated_lines_are_skipped_and_reported(tmp_path: Path, store: SQLiteStore) -> None:
    """A bad line is reported with file and line; a truncated last line is imported once complete."""
    lines = BIG.read_text(encoding="utf-8").splitlines(keepends=True)[:40]
    path = tmp_path / BIG.name
    broken = [*lines[:10], "{not json\n", *lines[10:-1], lines[-1][: len(lines[-1]) // 2]]
    path.write_text("".join(broken), encoding="utf-8")
    summary = import_paths(store, "claude-code", [path])
    assert [(s.line, s.reason.split(":")[0]) for s in summary.skipped] == [
        (11, "not valid JSON"),
        (len(broken), "truncated last line (no newline yet); it is read again when the file grows"),
    ]
    assert all(s.path == str(path) for s in summary.skipped)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(lines[-1][len(lines[-1]) // 2 :])
    assert import_paths(store, "claude-code", [path]).skipped == ()
    clean = tmp_path / "clean" / BIG.name
    clean.parent.mkdir()
    clean.write_text("".join(lines), encoding="utf-8")
    expected = load_transcript(clean)
    assert store.get_session(expected.session.id).tokens == expected.session.tokens


def test_a_replaced_file_is_read_again_from_the_start(tmp_path: Path, store: SQLiteStore) -> None:
    """When a transcript is rewritten (new inode, shorter), its cursor is discarded, not trusted."""
    path = tmp_path / BIG.name
    shutil.copyfile(BIG, path)
    import_paths(store, "claude-code", [path])
    lines = BIG.read_text(encoding="utf-8").splitlines(keepends=True)
    replacement = tmp_path / "new.jsonl"
    replacement.write_text("".join(lines[:20]), encoding="utf-8")
    replacement.replace(path)
    assert import_paths(store, "claude-code", [path]).lines == 20


def test_progress_reports_bytes_until_done(store: SQLiteStore) -> None:
    """The progress callback receives (done, total) bytes and ends at done == total."""
    calls: list[tuple[int, int]] = []
    import_paths(store, "claude-code", list(CLAUDE_DIRS), progress=lambda d, t: calls.append((d, t)))
    assert len(calls) == len(CLAUDE_FILES)
    assert calls[-1][0] == calls[-1][1] == sum(p.stat().st_size for p in CLAUDE_FILES)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_unknown_source_names_the_valid_ones(store: SQLiteStore) -> None:
    """An unknown source raises InvalidInputError listing the sources that exist."""
    with pytest.raises(InvalidInputError, match=r"valid sources: .*claude-code.*codex"):
        import_paths(store, "cursor", [])


def test_missing_path_raises_a_clear_error(tmp_path: Path, store: SQLiteStore) -> None:
    """A path that does not exist raises ImportSourceError naming it."""
    missing = tmp_path / "nope"
    with pytest.raises(ImportSourceError, match=r"cannot read .*nope: no such file"):
        import_paths(store, "claude-code", [missing])


def test_swe_agent_trajectories_import_once(store: SQLiteStore) -> None:
    """Whole-file trajectories import with their totals and are skipped when unchanged."""
    folder = CLAUDE_DIRS[0].parent / "swe-agent"
    first = import_paths(store, "swe-agent", [folder])
    assert first.sessions == 3
    assert import_paths(store, "swe-agent", [folder]).unchanged_files == 3
    pydicom = store.get_session("pydicom__pydicom-1458")
    assert (
        pydicom.tokens.input_tokens
        == json.loads(next(folder.rglob("pydicom__pydicom-1458.traj")).read_text(encoding="utf-8"))["info"][
            "model_stats"
        ]["tokens_sent"]
    )
