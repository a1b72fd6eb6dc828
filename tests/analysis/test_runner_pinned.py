"""Runner, stored analysis and the monitoring pass against a real SQLite store: what runs when, what is written."""

from __future__ import annotations

import json
import logging
import math
import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.monitor import monitor_once
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.analysis.runner import AnalysisRunner, analyze_stored
from sessionoptimizer_sdk.analysis.stored import (
    finalize_session,
    load_subagents,
    report_path,
    write_report_file,
)
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import InvalidSessionId, SessionNotFound
from sessionoptimizer_sdk.models import Session, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import T0, Events, session

_R = TypeVar("_R")


def _store(tmp_path: Path, *sessions: Session) -> tuple[SQLiteStore, Settings]:
    settings = Settings.from_env(home=tmp_path / "home")
    store = SQLiteStore(settings.db_path)
    for s in sessions or (session(status=SessionStatus.ACTIVE),):
        store.upsert_session(s)
        ev = Events(sid=s.id)
        ev.call(inp=100, out=10)
        ev.read("a.py", 4_000)
        ev.read("a.py", 4_000)
        store.insert_events([_with_ids(e, s.id) for e in ev.items])
    return store, settings


def _with_ids(e: Any, sid: str) -> Any:
    return replace(e, id=f"{sid}:{e.id}")


def _wait(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _spy(runner: AnalysisRunner) -> list[bool]:
    seen: list[bool] = []
    runner.engine.report_listeners.append(lambda r: seen.append(r.provisional))
    return seen


def test_provisional_analyses_are_rate_limited_and_flush_runs_the_held_one(tmp_path: Path) -> None:
    """A second provisional submit within the interval waits (0.6 s later it has not run); flush runs it."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings, provisional_interval=3_600, max_duty=0)
    seen = _spy(runner)
    runner.submit("s1", final=False)
    assert runner.flush(10) and seen == [True]
    runner.submit("s1", final=False)
    time.sleep(0.6)  # two worker wakes (every 0.25 s): still held back
    assert seen == [True]
    assert runner.flush(10) and seen == [True, True]
    runner.close(5)
    assert runner.errors == [] and runner.dropped == 0


def test_final_submit_runs_at_once_even_with_a_held_provisional(tmp_path: Path) -> None:
    """A held provisional analysis and then a final submit for the same session coalesce into one final analysis."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings, provisional_interval=3_600, max_duty=0)
    seen = _spy(runner)
    runner.submit("s1", final=False)
    assert runner.flush(10)
    runner.submit("s1", final=False)  # held back by the rate limit
    store.upsert_session(session())  # the session ends
    runner.submit("s1", final=True)
    path = settings.reports_dir / "s1_report.json"
    assert _wait(path.exists), "the final analysis ran without waiting for the rate limit or a flush"
    assert _wait(lambda: seen == [True, False])
    assert json.loads(path.read_text())["provisional"] is False
    runner.close(5)
    assert seen == [True, False]  # nothing left over for close to run


def test_provisional_submit_of_an_ended_session_is_final(tmp_path: Path) -> None:
    """A provisional submit for a session that ended since is analyzed as final: stored report and file."""
    store, settings = _store(tmp_path, session())
    runner = AnalysisRunner(store, settings)
    seen = _spy(runner)
    runner.submit("s1", final=False)
    assert runner.flush(10) and seen == [False]
    assert (settings.reports_dir / "s1_report.json").exists()
    stored = store.get_report("s1")
    assert stored is not None and stored["provisional"] is False
    runner.close(5)


def test_final_submit_of_a_still_active_session_writes_no_file(tmp_path: Path) -> None:
    """Submitted as final while the store still says ACTIVE: a provisional report is stored, no report file."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings)
    runner.submit("s1", final=True)
    assert runner.flush(10)
    stored = store.get_report("s1")
    assert stored is not None and stored["provisional"] is True
    assert not (settings.reports_dir / "s1_report.json").exists()
    runner.close(5)


def test_submit_after_close_is_ignored(tmp_path: Path) -> None:
    """After close, submits are ignored without error and nothing is analyzed; close is idempotent."""
    store, settings = _store(tmp_path, session())
    runner = AnalysisRunner(store, settings)
    runner.close(5)
    runner.submit("s1", final=True)
    runner.close(5)
    assert store.get_report("s1") is None and runner.errors == [] and runner.dropped == 0


def test_report_file_is_atomic_private_and_strict(tmp_path: Path) -> None:
    """The JSON file is indented by 2 with non-ASCII kept; NaN is refused, leaving the old file and no temp file."""
    folder = tmp_path / "a" / "reports"
    path = write_report_file(folder, "s-1", {"task": "Café", "n": 1})
    assert path == folder / "s-1_report.json"
    assert path.read_text(encoding="utf-8") == '{\n  "task": "Café",\n  "n": 1\n}'
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="JSON compliant"):
        write_report_file(folder, "s-1", {"x": math.nan})
    assert os.listdir(folder) == ["s-1_report.json"]
    assert json.loads(path.read_text(encoding="utf-8")) == {"task": "Café", "n": 1}


def test_existing_reports_folder_keeps_its_mode(tmp_path: Path) -> None:
    """A reports folder the user created keeps its permissions; only a folder we create is made 0700."""
    folder = tmp_path / "reports"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    write_report_file(folder, "s1", {})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


@pytest.mark.parametrize("bad", ["../escape", "a/b", ""])
def test_report_path_refuses_ids_that_are_not_file_names(tmp_path: Path, bad: str) -> None:
    """A session id with a path separator or '..' never becomes a report file name."""
    with pytest.raises(InvalidSessionId):
        report_path(tmp_path, bad)


def test_load_subagents_finds_only_the_sessions_naming_the_parent(tmp_path: Path) -> None:
    """Children naming s1 as parent are loaded with their events; others, and s1 naming itself, are not."""
    parent = Session(
        "s1", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0, {"parent_session_id": "s1"}
    )
    child = Session(
        "s1.agent-a", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0, {"parent_session_id": "s1"}
    )
    other = Session(
        "s2.agent-b", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0, {"parent_session_id": "s2"}
    )
    plain = session(sid="s3")
    store, _ = _store(tmp_path, parent, child, other, plain)
    found = load_subagents(store, parent)
    assert [(s.id, len(events)) for s, events in found] == [("s1.agent-a", 3)]


def test_finalize_session_without_an_alert_engine(tmp_path: Path) -> None:
    """Finalizing stores the report and writes its file; the file holds the same JSON as the stored report."""
    store, settings = _store(tmp_path, session())
    report = finalize_session(store, settings.reports_dir, "s1", now=T0 + timedelta(hours=1))
    stored = store.get_report("s1")
    written = json.loads((settings.reports_dir / "s1_report.json").read_text(encoding="utf-8"))
    assert stored == written == report.to_dict()
    assert written["generated_at"] == "2026-01-21T15:30:00+00:00"


def test_monitor_pass_finalizes_only_ended_sessions_without_a_final_report(tmp_path: Path) -> None:
    """Ended without a report, or with a provisional one: finalized. Active, or already final: left alone."""
    done = session(sid="done")
    store, settings = _store(
        tmp_path,
        session(sid="new"),
        session(sid="live", status=SessionStatus.ACTIVE),
        done,
        session(sid="stale", status=SessionStatus.FAILED),
    )
    finalize_session(store, settings.reports_dir, "done")
    store.save_report("stale", "ATLAS", {"session_id": "stale", "provisional": True})
    reports = monitor_once(store, settings.reports_dir, now=T0 + timedelta(hours=1))
    assert sorted(r.session_id for r in reports) == ["new", "stale"]
    assert all(not r.provisional for r in reports)
    assert all(r.generated_at == T0 + timedelta(hours=1) for r in reports)
    assert store.get_report("live") is None
    assert monitor_once(store, settings.reports_dir) == []


def test_monitor_pass_respects_its_limit_and_skips_a_failing_session(tmp_path: Path) -> None:
    """Newest first, limit=1 analyzes one session per pass; a session whose analysis fails is skipped, not fatal."""

    class Failing(SQLiteStore):
        def get_events(self, session_id: str, *args: Any, **kwargs: Any) -> Any:
            if session_id == "bad":
                raise RuntimeError("disk error")
            return super().get_events(session_id, *args, **kwargs)

    def started(sid: str, minutes: int) -> Session:
        start = T0 + timedelta(minutes=minutes)
        return Session(sid, "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, start, start)

    _store(tmp_path, started("old", 0), started("bad", 1), started("new", 2))
    settings = Settings.from_env(home=tmp_path / "home")
    store = Failing(settings.db_path)
    assert [r.session_id for r in monitor_once(store, settings.reports_dir, limit=1)] == ["new"]
    assert [r.session_id for r in monitor_once(store, settings.reports_dir)] == ["old"]
    assert store.get_report("bad") is None


def _types(report: OptimizationReport) -> list[str]:
    return sorted(f.type for f in report.issues)


#: The fixture's 4,000-token reads are "large" by default (2,000); under this config they are not.
BIG_READS = AnalysisConfig(large_read_tokens=10_000)


def test_monitor_pass_uses_its_config_engine_and_window(tmp_path: Path) -> None:
    """The pass applies the given config, raises alerts through the engine, and skips sessions before `since`."""
    late = Session("late", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0 + timedelta(days=2), T0)
    store, settings = _store(tmp_path, session(sid="early"), late)
    engine = AlertEngine(store)
    reports = monitor_once(
        store, settings.reports_dir, engine=engine, config=BIG_READS, since=T0 + timedelta(days=1)
    )
    assert [r.session_id for r in reports] == ["late"]
    assert "large_uncompressed_read" not in _types(reports[0])
    assert "large_uncompressed_read" in _types(analyze_stored(store, "late"))  # the default config
    # 4,000 re-read tokens against 150 weighted session tokens: score 0, a low-efficiency alert
    assert {a["rule"] for a in store.list_alerts(session_id="late")} == {"low_efficiency"}
    assert store.get_report("early") is None
    engine.close(5)


def test_monitor_pass_default_time_is_aware_utc(tmp_path: Path) -> None:
    """Without `now`, reports are stamped with the current UTC time (timezone-aware)."""
    store, settings = _store(tmp_path, session())
    before = datetime.now(UTC)
    [report] = monitor_once(store, settings.reports_dir)
    assert report.generated_at.tzinfo is not None and before <= report.generated_at <= datetime.now(UTC)


def test_monitor_pass_logs_the_failing_session_and_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A session that fails to analyze is logged once as a warning naming it and the error."""

    class Failing(SQLiteStore):
        def get_events(self, session_id: str, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("disk error")

    _store(tmp_path, session(sid="bad"))
    settings = Settings.from_env(home=tmp_path / "home")
    with caplog.at_level(logging.WARNING, logger="sessionoptimizer_sdk.analysis.monitor"):
        assert monitor_once(Failing(settings.db_path), settings.reports_dir) == []
    [record] = [r for r in caplog.records if r.name == "sessionoptimizer_sdk.analysis.monitor"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "event='monitoring: session not analyzed' session_id='bad' error=\"RuntimeError('disk error')\" "
        "level='warning'"
    )


def test_provisional_analysis_uses_the_runner_config_and_subagents(tmp_path: Path) -> None:
    """A live report applies the runner's config and rolls up the session's stored subagents."""
    child = Session(
        "s1.agent-a", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0, {"parent_session_id": "s1"}
    )
    store, settings = _store(tmp_path, session(status=SessionStatus.ACTIVE), child)
    runner = AnalysisRunner(store, settings, config=BIG_READS)
    reports: list[OptimizationReport] = []
    runner.engine.report_listeners.append(reports.append)
    runner.submit("s1", final=False)
    assert runner.flush(10)
    [report] = reports
    assert report.provisional and "large_uncompressed_read" not in _types(report)
    assert report.subagents["count"] == 1
    runner.close(5)
    assert runner.errors == []


def test_provisional_pacing_by_the_analysis_cost(tmp_path: Path) -> None:
    """With no rate limit, a live analysis whose cost is unknown runs at once; with a near-zero duty it waits."""
    store, settings = _store(tmp_path)
    quick = AnalysisRunner(store, settings, provisional_interval=0, max_duty=0.05)
    seen = _spy(quick)
    quick.submit("s1", final=False)
    assert quick.flush(10)  # the first analysis of a runner (loading analyzers and prices) is not paced
    quick.submit("s1", final=False)
    assert _wait(lambda: len(seen) == 2, timeout=3), "no recorded cost: not held back"
    quick.close(5)
    slow = AnalysisRunner(store, settings, provisional_interval=0, max_duty=1e-9)
    seen = _spy(slow)
    for _ in range(3):  # warm up, then two analyses whose CPU costs are recorded (one alone paces nothing)
        slow.submit("s1", final=False)
        assert slow.flush(10)
    slow.submit("s1", final=False)
    time.sleep(0.6)
    assert len(seen) == 3, "held back: its cost / 1e-9 is far beyond 0.6 s"
    assert slow.flush(10) and len(seen) == 4
    slow.close(5)


def test_one_recorded_report_cost_does_not_pace_the_next(tmp_path: Path) -> None:
    """A session's first recorded report cost alone (often a GC after the build) paces nothing; the next two do."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings, provisional_interval=0, max_duty=1e-9)
    seen = _spy(runner)
    for _ in range(2):  # warm up (not recorded), then one analysis whose cost is recorded
        runner.submit("s1", final=False)
        assert runner.flush(10)
    runner.submit("s1", final=False)
    assert _wait(lambda: len(seen) == 3, timeout=3), "one recorded cost: not held back"
    runner.submit("s1", final=False)
    time.sleep(0.6)
    assert len(seen) == 3, "two recorded costs / 1e-9: held back far beyond 0.6 s"
    runner.close(5)


def test_first_live_analysis_runs_at_once(tmp_path: Path) -> None:
    """A session's first provisional analysis is due at once, without waiting for a flush."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings, provisional_interval=3_600, max_duty=0)
    seen = _spy(runner)
    runner.submit("s1", final=False)
    assert _wait(lambda: seen == [True], timeout=3)
    runner.close(5)


def test_final_analysis_uses_the_runner_config(tmp_path: Path) -> None:
    """The final report applies the runner's config (no 4,000-token read is large under it)."""
    store, settings = _store(tmp_path, session())
    runner = AnalysisRunner(store, settings, config=BIG_READS)
    runner.submit("s1", final=True)
    assert runner.flush(10)
    data = json.loads((settings.reports_dir / "s1_report.json").read_text(encoding="utf-8"))
    assert "large_uncompressed_read" not in {f["type"] for f in data["issues"]}
    assert "large_uncompressed_read" in _types(analyze_stored(store, "s1"))  # the default config
    runner.close(5)


def test_a_resumed_session_gets_live_analysis_at_once(tmp_path: Path) -> None:
    """After a final analysis the rate limit is forgotten: a resumed session's next live analysis is not held."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings, provisional_interval=3_600, max_duty=0)
    seen = _spy(runner)
    runner.submit("s1", final=False)
    assert _wait(lambda: seen == [True], timeout=3)
    store.upsert_session(session())
    runner.submit("s1", final=True)
    assert _wait(lambda: seen == [True, False], timeout=3)
    store.upsert_session(session(status=SessionStatus.ACTIVE))  # `claude --resume` of the same session
    runner.submit("s1", final=False)
    assert _wait(lambda: seen == [True, False, True], timeout=3)
    runner.close(5)


def test_failed_analysis_is_recorded_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An unknown session's analysis failure is kept in `errors` (the exception itself) and logged once."""
    store, settings = _store(tmp_path)
    runner = AnalysisRunner(store, settings)
    with caplog.at_level(logging.ERROR, logger="sessionoptimizer_sdk.analysis.runner"):
        runner.submit("nope", final=True)
        runner.flush(10)
        runner.close(5)
    assert [type(e) for e in runner.errors] == [SessionNotFound]
    lines = [r.getMessage() for r in caplog.records if r.name == "sessionoptimizer_sdk.analysis.runner"]
    assert lines == ["event='analysis failed' session_id='nope' level='error'"]


def _rule(rules: Sequence[object], cls: type[_R]) -> _R:
    [rule] = [r for r in rules if isinstance(r, cls)]
    return rule


def test_alert_thresholds_follow_the_analysis_config() -> None:
    """The runner's alert rules take their thresholds from the analysis config (waste, time, errors, spikes)."""
    from sessionoptimizer_sdk.alerts.rules import (
        HighErrorRateRule,
        HighWasteRule,
        LongSessionRule,
        TokenSpikeRule,
    )
    from sessionoptimizer_sdk.analysis.runner import rules_for

    cfg = AnalysisConfig(
        high_waste_tokens=11, long_session_minutes=22.0, error_rate_threshold=0.33, spike_factor=4.4
    )
    rules = rules_for(cfg)
    assert _rule(rules, HighWasteRule).threshold == 11 and _rule(rules, LongSessionRule).minutes == 22.0
    assert _rule(rules, HighErrorRateRule).threshold == 0.33 and _rule(rules, TokenSpikeRule).factor == 4.4
    ev = Events()
    ev.call()
    report = replace(analyze_events(session(), ev.items), total_waste_tokens=12)
    assert _rule(rules, HighWasteRule).check(report) is not None
    assert _rule(rules_for(AnalysisConfig()), HighWasteRule).check(report) is None


def test_runner_rules_and_worker_thread(tmp_path: Path) -> None:
    """Given rules replace the defaults, else the config's thresholds apply; analysis runs on its named thread."""
    from sessionoptimizer_sdk.alerts.rules import HighWasteRule

    store, settings = _store(tmp_path, session())
    assert AnalysisRunner(store, settings, rules=[]).engine.rules == []
    runner = AnalysisRunner(store, settings, config=AnalysisConfig(high_waste_tokens=11))
    assert _rule(runner.engine.rules, HighWasteRule).threshold == 11
    threads: list[str] = []

    class Spy:
        name, priority = "spy", "LOW"

        def check(self, report: object) -> None:
            threads.append(threading.current_thread().name)

    runner.engine.rules.append(Spy())
    runner.submit("s1", final=True)
    assert runner.flush(10)
    runner.close(5)
    assert threads and all(name.startswith("sessionoptimizer-analysis") for name in threads)


def test_subagents_are_found_however_many_sessions_came_after(tmp_path: Path) -> None:
    """A subagent started right after its parent is found even when 100 newer sessions were recorded since."""
    parent = session(sid="p")
    child = Session(
        "p.agent-a", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0, {"parent_session_id": "p"}
    )
    store, _ = _store(tmp_path, parent, child)
    for i in range(100):
        start = T0 + timedelta(minutes=1 + i)
        store.upsert_session(
            Session(f"later-{i}", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, start, start)
        )
    assert [s.id for s, _ in load_subagents(store, parent)] == ["p.agent-a"]
