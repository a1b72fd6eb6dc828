"""flush() waits for the writer only; flush(analysis=True) also for the reports."""

from __future__ import annotations

from pathlib import Path

from sessionoptimizer_sdk import EventType, SessionOptimizer
from sessionoptimizer_sdk.analysis.report import OptimizationReport


def test_flush_does_not_wait_for_the_rate_limited_provisional_analysis(home: Path) -> None:
    """A live session's second batch is stored when flush returns, though its rate-limited analysis has not run."""
    opt = SessionOptimizer(home)
    analyzed: list[int] = []

    def listener(report: OptimizationReport) -> None:
        analyzed.append(report.event_count)

    try:
        opt.add_report_listener(listener)
        runner = opt._runner
        assert runner is not None
        runner.provisional_interval = 3600.0  # one provisional analysis per session per hour
        session = opt.start_session("ATLAS", "live alerts", "sonnet")
        opt.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
        assert opt.flush(10, analysis=True)
        assert len(analyzed) == 1
        opt.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
        assert opt.flush(10) is True  # returns: it does not wait an hour for the analysis
        assert len(opt.get_events(session.id)) == 2
        assert len(analyzed) == 1
        runner.provisional_interval = 0.0
        assert opt.flush(10, analysis=True) is True  # the explicit wait for analysis does wait for it
        assert len(analyzed) == 2
    finally:
        opt.shutdown()
