"""The thin facade's seams: current_session_id, the scope driving the recorder, the in-memory end fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionoptimizer_sdk import (
    EventType,
    InvalidInputError,
    SessionNotActive,
    SessionOptimizer,
    SessionStatus,
)
from sessionoptimizer_sdk.errors import StoreError


def test_current_session_id_is_the_scope_this_optimizer_records(
    optimizer: SessionOptimizer, tmp_path: Path
) -> None:
    """Inside a session its id; outside None; a session of another optimizer is not ours."""
    assert optimizer.current_session_id() is None
    other = SessionOptimizer(tmp_path / "other")
    try:
        with optimizer.session("ATLAS", "mine") as s:
            assert optimizer.current_session_id() == s.id
            assert other.current_session_id() is None
        assert optimizer.current_session_id() is None
    finally:
        other.shutdown()


def test_scope_end_then_log_is_refused(optimizer: SessionOptimizer) -> None:
    """A scope ended early rejects ACTIVE as a final status, then refuses further events with SessionNotActive."""
    with optimizer.session("ATLAS", "early end") as s:
        s.log(EventType.AI_RESPONSE, tokens_input=3)
        with pytest.raises(InvalidInputError):
            s.end(SessionStatus.ACTIVE)
        ended = s.end(SessionStatus.FAILED)
        assert ended.status is SessionStatus.FAILED and ended.tokens.input_tokens == 3
        with pytest.raises(SessionNotActive):
            s.log(EventType.AI_RESPONSE, tokens_input=1)
    assert optimizer.get_session(s.id).status is SessionStatus.FAILED  # leaving the block changed nothing


def test_end_session_answers_from_memory_when_the_store_fails(
    optimizer: SessionOptimizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the store cannot be read after ending, end_session still returns the ended session (from memory)."""
    monkeypatch.setenv(
        "SESSIONOPTIMIZER_STRICT", "0"
    )  # the store fault is an internal error: logged, not raised
    sid = optimizer.start_session("ATLAS", "store gone", model="sonnet").id

    def broken(session_id: str) -> None:
        raise StoreError("disk vanished")

    monkeypatch.setattr(optimizer.store, "get_session", broken)
    session = optimizer.end_session(sid, "FAILED")
    assert (session.id, session.agent, session.task, session.model) == (sid, "ATLAS", "store gone", "sonnet")
    assert session.status is SessionStatus.FAILED and session.ended_at is not None
