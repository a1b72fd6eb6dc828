"""AnalysisRunner and monitor_once against a real tmp_path store (never ~/.sessionoptimizer)."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from sessionoptimizer_sdk.alerts import Alert, CallableNotifier
from sessionoptimizer_sdk.analysis.monitor import monitor_once
from sessionoptimizer_sdk.analysis.runner import AnalysisRunner, analyze_stored
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import SessionNotFound
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import Events, session


def _store(tmp_path: Path, status: SessionStatus = SessionStatus.COMPLETED) -> tuple[SQLiteStore, Settings]:
    settings = Settings.from_env(home=tmp_path / "home")
    store = SQLiteStore(settings.db_path)
    store.upsert_session(session(status=status))
    ev = Events()
    for _ in range(3):
        ev.tool("Bash", "same", error="exit 1")
    ev.read("a.py", 4_000)
    ev.read("a.py", 4_000)
    store.insert_events(ev.items)
    return store, settings


def test_final_submit_writes_private_report_file_and_alerts(tmp_path: Path) -> None:
    """A final analysis saves the report, writes reports/<id>_report.json 0600 in a 0700 folder, fires alerts once."""
    store, settings = _store(tmp_path)
    got: list[Alert] = []
    runner = AnalysisRunner(store, settings, notifiers=[CallableNotifier(got.append)])
    runner.submit("s1", final=True)
    runner.submit("s1", final=True)
    assert runner.flush(10)
    path = settings.reports_dir / "s1_report.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.reports_dir.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["session_id"] == "s1" and data["provisional"] is False
    stored = store.get_report("s1")
    assert stored is not None and stored["total_waste_tokens"] == data["total_waste_tokens"]
    rules = sorted(a.rule for a in got)
    assert rules == sorted({a["rule"] for a in store.list_alerts(session_id="s1")})
    assert "high_error_rate" in rules and len(rules) == len(set(rules))
    runner.close(5)
    assert runner.errors == []


def test_provisional_submit_raises_live_alerts_without_a_file(tmp_path: Path) -> None:
    """An ACTIVE session's batch raises alerts from a provisional analysis; no report file yet."""
    store, settings = _store(tmp_path, SessionStatus.ACTIVE)
    runner = AnalysisRunner(store, settings)
    worker_threads: set[str] = set()
    runner.engine.rules.append(_ThreadSpy(worker_threads))
    runner.submit("s1", final=False)
    assert runner.flush(10)
    assert {a["rule"] for a in store.list_alerts(session_id="s1")} >= {"high_error_rate"}
    assert not (settings.reports_dir / "s1_report.json").exists()
    assert worker_threads and threading.current_thread().name not in worker_threads
    runner.close(5)


class _ThreadSpy:
    name = "spy"
    priority = "LOW"

    def __init__(self, seen: set[str]) -> None:
        self.seen = seen

    def check(self, report: object) -> None:
        self.seen.add(threading.current_thread().name)


def test_unknown_session_is_contained_in_runner_and_raised_by_analyze_stored(tmp_path: Path) -> None:
    """The runner logs an unknown id without raising; analyze_stored raises SessionNotFound."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings)
    runner.submit("nope", final=True)
    runner.flush(10)
    runner.close(5)
    assert len(runner.errors) == 1
    with pytest.raises(SessionNotFound):
        analyze_stored(store, "nope")


def test_monitor_once_finalizes_ended_sessions_once(tmp_path: Path) -> None:
    """The monitoring pass analyzes ended sessions without a final report, and only once."""
    store, settings = _store(tmp_path)
    first = monitor_once(store, settings.reports_dir)
    second = monitor_once(store, settings.reports_dir)
    assert [r.session_id for r in first] == ["s1"] and second == []
    assert (settings.reports_dir / "s1_report.json").exists()
