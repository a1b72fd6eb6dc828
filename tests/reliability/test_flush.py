"""flush() waits for the writer only; flush(analysis=True) also for the reports."""

from __future__ import annotations

from pathlib import Path

from sessionoptimizer_sdk import EventType, SessionOptimizer


def test_flush_does_not_wait_for_the_rate_limited_provisional_analysis(home: Path) -> None:
    """A second batch of a live session leaves its provisional analysis pending (rate-limited) while flush returns."""
    opt = SessionOptimizer(home)
    try:
        session = opt.start_session("ATLAS", "live alerts", "sonnet")
        opt.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
        assert opt.flush(
            10, analysis=True
        )  # first provisional analysis done: the next is rate-limited for 1 s
        runner = opt._runner
        assert runner is not None
        opt.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
        assert opt.flush(10) is True
        assert len(opt.get_events(session.id)) == 2  # stored...
        assert runner._pending == {session.id: False}  # ...while its analysis still waits for its turn
        assert opt.flush(10, analysis=True) is True
        assert runner._pending == {}
    finally:
        opt.shutdown()
