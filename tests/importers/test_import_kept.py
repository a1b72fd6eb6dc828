"""An import reports on the events it just stored without reading them back; the report equals a full analysis."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.runner import rules_for
from sessionoptimizer_sdk.analysis.stored import analyze_stored, report_json, report_path
from sessionoptimizer_sdk.importers import kept as kept_module
from sessionoptimizer_sdk.importers import runner
from sessionoptimizer_sdk.importers.finalize import finalize_imported
from sessionoptimizer_sdk.importers.kept import KeptEvents
from sessionoptimizer_sdk.importers.runner import ImportSummary, import_paths
from sessionoptimizer_sdk.store.base import Store
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.importers._cc_builder import Transcript
from tests.importers._import_fixtures import CLAUDE_DIRS, SWE_FILES


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh SQLite store."""
    store = SQLiteStore(tmp_path / "so" / "sessionoptimizer.db")
    yield store
    store.close()


def _import(store: Store, source: str, paths: Sequence[Path], reports: Path) -> tuple[ImportSummary, int]:
    """Import with kept events, write the reports; (summary, reports made from the kept events)."""
    config = AnalysisConfig()
    kept = KeptEvents(config)
    summary = import_paths(store, source, list(paths), kept=kept)
    engine = AlertEngine(store, rules_for(config))
    try:
        finalize_imported(store, reports, summary.session_ids, config=config, engine=engine, kept=kept)
    finally:
        engine.close(5)
    return summary, kept.finalized


def _assert_reports_equal_full_analysis(store: Store, reports: Path, session_ids: Sequence[str]) -> None:
    """Each written report file holds what a full analysis of the stored events says (bar its time stamp)."""
    assert session_ids
    for sid in session_ids:
        written = json.loads(report_path(reports, sid).read_text(encoding="utf-8"))
        full = json.loads(report_json(analyze_stored(store, sid).to_dict()))
        written.pop("generated_at")
        full.pop("generated_at")
        assert written == full, sid


def test_real_claude_code_sessions_and_subagents_are_reported_from_the_kept_events(
    db: SQLiteStore, tmp_path: Path
) -> None:
    """Every real Claude Code transcript (subagents included) is reported without a reload, equal to a full analysis."""
    reports = tmp_path / "reports"
    summary, finalized = _import(db, "claude-code", CLAUDE_DIRS, reports)
    # one session per transcript holding user or assistant lines: 11 of the 12 files (one is a summary only)
    assert len(summary.session_ids) == 11
    assert finalized == 11
    _assert_reports_equal_full_analysis(db, reports, summary.session_ids)
    parent = json.loads(report_path(reports, "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68").read_text())
    assert parent["subagents"]["count"] == 5  # the roll-up still reads the children from the store


def test_real_swe_agent_trajectories_are_reported_from_the_kept_events(
    db: SQLiteStore, tmp_path: Path
) -> None:
    """SWE-agent trajectories (read whole) are reported from the kept events, equal to a full analysis."""
    reports = tmp_path / "reports"
    summary, finalized = _import(db, "swe-agent", SWE_FILES, reports)
    assert finalized == len(summary.session_ids) == len(SWE_FILES)
    _assert_reports_equal_full_analysis(db, reports, summary.session_ids)


def _steps(t: Transcript, n: int, *, back_every: int = 0) -> None:
    """``n`` tool calls (reads of two files, a failing test run); every ``back_every``-th goes back in time."""
    for i in range(n):
        gap = -90.0 if back_every and i % back_every == back_every - 1 else None
        if i % 3 == 2:
            t.call("Bash", {"command": "pytest -q"}, "1 failed, 3 passed", error=True, gap=gap)
        else:
            t.call("Read", {"file_path": f"/work/proj/f{i % 2}.py"}, "x = 1\n" * 40, gap=gap)


def test_events_out_of_time_order_across_batches_give_the_full_report(
    db: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines that go back in time across stored batches: the kept events are time-ordered as the store orders them."""
    monkeypatch.setattr(runner, "_FLUSH_LINES", 5)
    t = Transcript()
    _steps(t, 30, back_every=4)
    path = t.write(tmp_path / "sess.jsonl")
    summary, finalized = _import(db, "claude-code", [path], tmp_path / "reports")
    assert finalized == 1
    # per call a response and a tool event, plus an error event for each of the 10 failing test runs
    assert db.count_events(summary.session_ids[0]) == 30 + 30 + 10
    _assert_reports_equal_full_analysis(db, tmp_path / "reports", summary.session_ids)


def test_a_reimport_that_appends_is_analyzed_from_the_store(db: SQLiteStore, tmp_path: Path) -> None:
    """A grown transcript's second import holds only the new lines: the report reads the stored session instead."""
    t = Transcript()
    _steps(t, 6)
    path = t.write(tmp_path / "sess.jsonl")
    _, first = _import(db, "claude-code", [path], tmp_path / "r1")
    _steps(t, 4)
    t.write(path)
    summary, again = _import(db, "claude-code", [path], tmp_path / "r2")
    assert (first, again) == (1, 0)
    # 10 responses, 10 tool events, 3 failing test runs (the 3rd of each run of _steps: 2 + 1)
    assert json.loads(report_path(tmp_path / "r2", "sess").read_text())["event_count"] == 10 + 10 + 3
    _assert_reports_equal_full_analysis(db, tmp_path / "r2", summary.session_ids)


def test_one_session_written_by_two_files_is_analyzed_from_the_store(db: SQLiteStore, tmp_path: Path) -> None:
    """Two transcripts of the same session id in one import: neither file's events alone are the session."""
    a, b = Transcript(), Transcript()
    _steps(a, 3)
    b.n = 100  # other line and tool ids, same session id
    _steps(b, 2)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    paths = [
        a.write(tmp_path / "a" / "sess.jsonl"),
        b.write(tmp_path / "b" / "sess.jsonl"),
    ]  # id: the file name
    summary, finalized = _import(db, "claude-code", paths, tmp_path / "reports")
    assert summary.session_ids == ("sess",) and finalized == 0
    assert db.count_events("sess") == (3 + 3 + 1) + (2 + 2)  # responses, tool events, one failing run in a
    _assert_reports_equal_full_analysis(db, tmp_path / "reports", summary.session_ids)


def test_an_event_written_again_by_a_later_batch_replaces_its_kept_version(
    db: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A response whose usage grows on a later line is stored again under one id: its kept version is replaced."""
    monkeypatch.setattr(runner, "_FLUSH_LINES", 1)
    t = Transcript()
    _steps(t, 2)
    first = t.lines[0]
    repeat = json.loads(json.dumps(first))  # the same response (message + request id), its final usage
    repeat["uuid"] = "u-repeat"
    repeat["message"]["usage"] = {"input_tokens": 10, "output_tokens": 45}
    repeat["message"]["content"] = [{"type": "text", "text": "done"}]
    t.lines.append(repeat)
    path = t.write(tmp_path / "sess.jsonl")
    summary, finalized = _import(db, "claude-code", [path], tmp_path / "reports")
    assert finalized == 1
    report = json.loads(report_path(tmp_path / "reports", "sess").read_text())
    assert (
        report["totals"]["output_tokens"] == 45 + 20
    )  # the response's final usage once, plus the second call
    _assert_reports_equal_full_analysis(db, tmp_path / "reports", summary.session_ids)


def test_sessions_past_the_memory_bound_are_analyzed_from_the_store(
    db: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for 10 kept events, the first of two 6-event sessions is let go and read back; both reports right."""
    monkeypatch.setattr(kept_module, "MAX_EVENTS", 10)
    paths = []
    for name in ("s1", "s2"):
        t = Transcript()
        _steps(t, 3)
        for line in t.lines:
            line["sessionId"] = name
        paths.append(t.write(tmp_path / f"{name}.jsonl"))
    summary, finalized = _import(db, "claude-code", paths, tmp_path / "reports")
    assert sorted(summary.session_ids) == ["s1", "s2"] and finalized == 1
    _assert_reports_equal_full_analysis(db, tmp_path / "reports", summary.session_ids)


def test_a_fault_in_the_kept_report_falls_back_to_the_stored_events(
    db: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while reporting from the kept events costs the shortcut, never the report."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")  # the fault is the point: contained, as in production

    def failing(self: KeptEvents, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(KeptEvents, "final_report", failing)
    t = Transcript()
    _steps(t, 4)
    summary, finalized = _import(db, "claude-code", [t.write(tmp_path / "sess.jsonl")], tmp_path / "reports")
    assert finalized == 0
    _assert_reports_equal_full_analysis(db, tmp_path / "reports", summary.session_ids)


def test_the_import_command_pauses_the_collector_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sessionoptimizer import` runs with the cyclic GC off (it makes no cycles) and leaves it as it found it."""
    import gc

    from click.testing import CliRunner

    from sessionoptimizer_sdk.cli._import import import_command
    from sessionoptimizer_sdk.importers import finalize

    monkeypatch.setenv("SESSIONOPTIMIZER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "1")
    seen: list[bool] = []
    real = import_paths

    def spy(*args: Any, **kwargs: Any) -> ImportSummary:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(finalize, "import_paths", spy)
    t = Transcript()
    _steps(t, 3)
    path = t.write(tmp_path / "sess.jsonl")
    assert gc.isenabled()
    result = CliRunner().invoke(import_command, ["claude-code", str(path)])
    assert result.exit_code == 0, result.output
    assert seen == [False] and gc.isenabled()
    store = SQLiteStore(tmp_path / "home" / "sessionoptimizer.db")
    try:
        _assert_reports_equal_full_analysis(store, tmp_path / "home" / "reports", ["sess"])
    finally:
        store.close()


def test_on_postgresql_the_kept_events_give_the_stored_report(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL too: real transcripts, and events out of time order and rewritten across small batches."""
    from sessionoptimizer_sdk.store.postgres import PostgresStore

    store = PostgresStore(pg_url)
    try:
        summary, finalized = _import(store, "claude-code", CLAUDE_DIRS, tmp_path / "real")
        assert finalized == len(summary.session_ids) == 11
        _assert_reports_equal_full_analysis(store, tmp_path / "real", summary.session_ids)
        monkeypatch.setattr(runner, "_FLUSH_LINES", 5)  # tool calls and their results in different batches
        t = Transcript()
        _steps(t, 30, back_every=4)
        path = t.write(tmp_path / "late.jsonl")
        summary, finalized = _import(store, "claude-code", [path], tmp_path / "late")
        assert finalized == 1 and store.count_events("late") == 30 + 30 + 10
        _assert_reports_equal_full_analysis(store, tmp_path / "late", summary.session_ids)
    finally:
        store.close()
