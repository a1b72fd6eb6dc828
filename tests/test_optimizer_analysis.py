"""The facade's analysis wiring: reports written at session end off the agent's thread, live alerts, monitor."""

from __future__ import annotations

import contextlib
import json
import stat
import threading
import time
from pathlib import Path

import pytest

from sessionoptimizer_sdk import EventType, InvalidFormat, SessionOptimizer, SessionStatus
from sessionoptimizer_sdk.alerts import CallableNotifier


def _wasteful_session(optimizer: SessionOptimizer) -> str:
    @optimizer.tool("read_file", event_type=EventType.FILE_READ)
    def read_file(path: str) -> str:
        return "x = 1\n" * 4000

    with optimizer.session("ATLAS", "Refactor", model="sonnet") as s:
        for _ in range(3):
            read_file("big.py")
            s.log(EventType.AI_RESPONSE, tokens_input=500, tokens_output=300)
    return s.id


def test_report_file_written_when_session_ends(optimizer: SessionOptimizer, home: Path) -> None:
    """Ending a session writes reports/<id>_report.json (private) with the analysis, without an analyze call."""
    sid = _wasteful_session(optimizer)
    assert optimizer.flush(timeout=30, analysis=True)
    path = home / "reports" / f"{sid}_report.json"
    report = json.loads(path.read_text())
    assert report["session_id"] == sid and report["status"] == "COMPLETED" and report["provisional"] is False
    assert {"repeated_file_read", "large_uncompressed_read"} <= {i["type"] for i in report["issues"]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert optimizer.store.get_report(sid) is not None


def test_analyze_active_session_is_provisional(optimizer: SessionOptimizer) -> None:
    """analyze() on an ACTIVE session returns a report marked provisional."""
    session = optimizer.start_session("FORGE", "Plan", "opus")
    optimizer.log_event(session.id, EventType.THINKING, tokens_output=900)
    optimizer.log_event(session.id, EventType.AI_RESPONSE, tokens_output=100)
    report = optimizer.analyze(session.id)
    assert report.provisional is True
    assert "thinking_overhead" in {i.type for i in report.issues}


def test_export_formats_and_unknown_format(optimizer: SessionOptimizer) -> None:
    """export_report renders json, markdown and html; an unknown format names the valid ones."""
    sid = _wasteful_session(optimizer)
    assert json.loads(optimizer.export_report(sid))["session_id"] == sid
    assert sid in optimizer.export_report(sid, "markdown")
    assert "<html" in optimizer.export_report(sid, "html").lower()
    with pytest.raises(InvalidFormat, match="json"):
        optimizer.export_report(sid, "pdf")


def test_live_alert_reaches_notifier_within_seconds(home: Path) -> None:
    """A high error rate in an ACTIVE session reaches a notifier in seconds, before the session ends."""
    delivered = threading.Event()
    alerts = []

    def on_alert(alert: object) -> None:
        alerts.append(alert)
        delivered.set()

    opt = SessionOptimizer(home, notifiers=[CallableNotifier(on_alert)])

    @opt.tool("make")
    def build() -> None:
        raise RuntimeError("no rule to make target")

    try:
        session = opt.start_session("BOLT", "Build", "grok")
        started = time.monotonic()
        for _ in range(4):
            with contextlib.suppress(RuntimeError):
                build()
        assert delivered.wait(timeout=15), "no alert delivered"
        assert time.monotonic() - started < 15
        assert opt.get_session(session.id).status is SessionStatus.ACTIVE
        assert any(getattr(a, "rule", "") == "high_error_rate" for a in alerts)
    finally:
        opt.shutdown()


def test_monitor_reports_sessions_without_report(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """monitor() analyzes ended sessions that have no final report yet, once."""
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
    opt = SessionOptimizer(home)
    try:
        sid = _wasteful_session(opt)
        assert opt.store.get_report(sid) is None
    finally:
        opt.shutdown()
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "1")
    opt = SessionOptimizer(home)
    try:
        reports = opt.monitor()
        assert [r.session_id for r in reports] == [sid]
        assert opt.monitor() == []
    finally:
        opt.shutdown()


def test_statistics_and_compare(optimizer: SessionOptimizer) -> None:
    """agent_statistics and compare_sessions cover the recorded sessions with the spec's fields."""
    a = _wasteful_session(optimizer)
    b = _wasteful_session(optimizer)
    stats = optimizer.agent_statistics("ATLAS", days=7)
    assert stats["sessions_analyzed"] == 2
    assert stats["trends"]["direction"] in {"improving", "declining", "stable"}
    compared = optimizer.compare_sessions([a, b])
    assert isinstance(compared, dict) and a in json.dumps(compared)


def test_imported_transcript_is_analyzed_and_flags_incomplete_output(
    optimizer: SessionOptimizer, home: Path
) -> None:
    """Importing a real Claude Code transcript writes its report, which says when output tokens are lower bounds."""
    from tests.conftest import FIXTURES

    transcript = next((FIXTURES / "claude-code-sniffly").rglob("d3ad4cdc-*.jsonl"))
    summary = optimizer.import_sessions("claude-code", transcript)
    assert list(summary.session_ids) == ["d3ad4cdc-5657-435d-98fa-0035d53e383d"]
    report = json.loads((home / "reports" / f"{summary.session_ids[0]}_report.json").read_text())
    assert report["status"] == "COMPLETED" and report["provisional"] is False
    assert any("lower bounds" in note for note in report["notes"])
    assert "cache_miss" in {i["type"] for i in report["issues"]}
