"""AgentHealth adapter: each finished session's analysis is reported with the spec's metrics."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import pytest

from sessionoptimizer_sdk import AdapterUnavailable, EventType, SessionOptimizer
from sessionoptimizer_sdk.adapters import AgentHealthReporter


def test_each_finished_session_is_reported_after_its_analysis(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """Ending a session triggers one report_session_health call with the spec's three metrics."""
    reporter = AgentHealthReporter(optimizer, teambrain.agenthealth)
    with optimizer.session("FORGE", "Plan feature X", model="opus") as s:
        s.log(EventType.THINKING, tokens_output=800)
        s.log(EventType.AI_RESPONSE, tokens_output=2_000)
    assert optimizer.flush(30)
    deadline = time.monotonic() + 10
    while not teambrain.agenthealth.REPORTS and time.monotonic() < deadline:
        time.sleep(0.01)
    (sent,) = teambrain.agenthealth.REPORTS
    report = optimizer.analyze(s.id)
    assert (sent["agent"], sent["session_id"]) == ("FORGE", s.id)
    assert sent["metrics"]["efficiency_score"] == report.efficiency_score
    assert sent["metrics"]["waste_tokens"] == report.total_waste_tokens
    assert sent["metrics"]["issue_count"] == len(report.issues)
    assert reporter.reported == 1


def test_report_session_reports_on_demand_and_skips_running_sessions(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """Provisional analyses are skipped by default; an ended session is reported when asked."""
    reporter = AgentHealthReporter(optimizer, teambrain.agenthealth.report_session_health, attach=False)
    session = optimizer.start_session("ATLAS", "Build SessionOptimizer", "sonnet")
    optimizer.log_event(session.id, EventType.AI_RESPONSE, tokens_output=50)
    assert reporter.report_session(session.id) is False
    optimizer.end_session(session.id)
    assert reporter.report_session(session.id) is True
    assert [r["session_id"] for r in teambrain.agenthealth.REPORTS] == [session.id]


def test_missing_function_raises_adapter_unavailable(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A module without report_session_health is refused at creation, naming the missing function."""
    with pytest.raises(AdapterUnavailable, match="report_session_health"):
        AgentHealthReporter(optimizer, teambrain.synapselink)


def test_failing_agenthealth_is_logged_and_never_reaches_the_agent(
    optimizer: SessionOptimizer, caplog: pytest.LogCaptureFixture
) -> None:
    """report_session_health raising is logged and counted; the session ends normally."""

    def report_session_health(**kwargs: object) -> None:
        raise TimeoutError("agenthealth unreachable")

    reporter = AgentHealthReporter(optimizer, report_session_health)
    with caplog.at_level(logging.WARNING, logger="sessionoptimizer.adapters"):
        with optimizer.session("CLIO", "Deploy BCH update") as s:
            s.log(EventType.FILE_WRITE, data={"file_path": "/etc/config"})
        assert optimizer.flush(30, analysis=True)
        deadline = time.monotonic() + 10
        while not reporter.failures and time.monotonic() < deadline:
            time.sleep(0.01)
    assert reporter.failures == 1 and reporter.reported == 0
    assert "agenthealth unreachable" in caplog.text
    assert optimizer.get_session(s.id).status.value == "COMPLETED"
