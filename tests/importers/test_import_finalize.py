"""Reports written at the end of an import: subagents rolled up, the stored sessions listed once per import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk.analysis.stored import analyze_stored
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests._paths import FIXTURES

MAIN = "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68"


def _project(tmp_path: Path) -> Path:
    """A copy of the shared session with its 5 subagent transcripts (in their ``<id>/subagents`` folder)."""
    root = FIXTURES / "claude-code-session-share"
    project = tmp_path / "projects" / "-p"
    project.mkdir(parents=True)
    shutil.copy(root / f"{MAIN}.jsonl", project)
    shutil.copytree(root / MAIN / "subagents", project / MAIN / "subagents")
    return project


def test_imported_parent_report_rolls_up_its_subagents(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report file of an imported session lists its 5 subagents, as a stored analysis of it does."""
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "1")
    project = _project(tmp_path)
    optimizer = SessionOptimizer(home)
    try:
        summary = optimizer.import_sessions("claude-code", project)
    finally:
        optimizer.shutdown()
    assert summary.sessions == 6
    written = json.loads((home / "reports" / f"{MAIN}_report.json").read_text(encoding="utf-8"))
    expected_ids = sorted(f"{MAIN}.{p.stem}" for p in (project / MAIN / "subagents").glob("*.jsonl"))
    assert written["subagents"]["count"] == 5
    assert sorted(s["session_id"] for s in written["subagents"]["sessions"]) == expected_ids
    store = SQLiteStore(home / "sessionoptimizer.db")
    try:
        again = analyze_stored(store, MAIN).to_dict()["subagents"]
    finally:
        store.close()
    assert written["subagents"] == json.loads(json.dumps(again))


def test_an_import_lists_the_stored_sessions_once(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finalizing the 6 imported sessions lists the store's sessions once, not once per session."""
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "1")
    project = _project(tmp_path)
    optimizer = SessionOptimizer(home)
    calls: list[dict[str, Any]] = []
    listing = optimizer.store.list_sessions

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return listing(**kwargs)

    monkeypatch.setattr(optimizer.store, "list_sessions", counted)
    try:
        summary = optimizer.import_sessions("claude-code", project)
    finally:
        optimizer.shutdown()
    assert summary.sessions == 6
    assert len(calls) == 1 and calls[0]["limit"] is None
    assert len(list((home / "reports").glob("*_report.json"))) == 6
