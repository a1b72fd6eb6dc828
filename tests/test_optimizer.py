"""Bad input through the explicit API: a specific exception, a clear message, and an unchanged store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sessionoptimizer_sdk import (
    EventType,
    InvalidEventData,
    InvalidEventType,
    InvalidInputError,
    InvalidSessionId,
    InvalidTokenCount,
    SessionNotActive,
    SessionNotFound,
    SessionOptimizer,
    SessionOptimizerError,
)


def _snapshot(optimizer: SessionOptimizer) -> tuple[int, list[tuple[str, str, int]]]:
    sessions = optimizer.list_sessions(limit=None)
    return optimizer.store.count_events(), [(s.id, s.status.value, s.event_count) for s in sessions]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda o, sid: o.log_event(sid, "FILE_REED"), InvalidEventType, "valid event types: THINKING"),
        (
            lambda o, sid: o.log_event(sid, EventType.AI_RESPONSE, tokens_input=-1),
            InvalidTokenCount,
            "negative",
        ),
        (
            lambda o, sid: o.log_event(sid, EventType.AI_RESPONSE, tokens_output=2.5),
            InvalidTokenCount,
            "integer",
        ),
        (
            lambda o, sid: o.log_event(sid, EventType.AI_RESPONSE, tokens_output=True),
            InvalidTokenCount,
            "integer",
        ),
        (
            lambda o, sid: o.log_event(sid, EventType.TOOL_CALL, data={"x": object()}),
            InvalidEventData,
            "JSON",
        ),
        (
            lambda o, sid: o.log_event(sid, EventType.TOOL_CALL, data=["not", "a", "dict"]),
            InvalidEventData,
            "mapping",
        ),
        (
            lambda o, sid: o.log_event("no-such-session", EventType.TOOL_CALL),
            SessionNotFound,
            "no-such-session",
        ),
        (
            lambda o, sid: o.log_event("../../etc/passwd", EventType.TOOL_CALL),
            InvalidSessionId,
            "may only contain",
        ),
        (lambda o, sid: o.log_event("a" * 129, EventType.TOOL_CALL), InvalidSessionId, "maximum is 128"),
        (lambda o, sid: o.start_session("", "task"), InvalidInputError, "agent"),
        (lambda o, sid: o.start_session("A", "t", session_id="bad/id"), InvalidSessionId, "may only contain"),
        (lambda o, sid: o.start_session("A", "t", metadata={"f": {1, 2}}), InvalidEventData, "JSON"),
        (lambda o, sid: o.end_session(sid, "DONE"), InvalidInputError, "valid statuses"),
        (lambda o, sid: o.get_session("missing"), SessionNotFound, "missing"),
        (lambda o, sid: o.list_sessions(limit=-5), InvalidInputError, "limit"),
    ],
)
def test_bad_input_raises_specific_error_and_changes_nothing(
    optimizer: SessionOptimizer,
    call: Callable[[SessionOptimizer, str], Any],
    error: type[Exception],
    message: str,
) -> None:
    """Each kind of bad input raises its own exception (a SessionOptimizerError) and leaves the store as it was."""
    sid = optimizer.start_session("ATLAS", "Build", "sonnet").id
    optimizer.log_event(sid, EventType.AI_RESPONSE, tokens_output=5)
    before = _snapshot(optimizer)
    with pytest.raises(error) as caught:
        call(optimizer, sid)
    assert isinstance(caught.value, SessionOptimizerError)
    assert message in str(caught.value)
    assert _snapshot(optimizer) == before


def test_logging_to_ended_session_is_refused(optimizer: SessionOptimizer) -> None:
    """An ended session accepts no more events, and ending it twice is refused."""
    sid = optimizer.start_session("ATLAS", "Build", "sonnet").id
    optimizer.end_session(sid)
    with pytest.raises(SessionNotActive):
        optimizer.log_event(sid, EventType.AI_RESPONSE, tokens_output=5)
    with pytest.raises(SessionNotActive):
        optimizer.end_session(sid)
    assert optimizer.get_session(sid).event_count == 0


def test_event_type_accepts_names_in_any_case(optimizer: SessionOptimizer) -> None:
    """Event types may be given as the enum, its value, or its name in any case."""
    sid = optimizer.start_session("ATLAS", "Build", "sonnet").id
    for value in (EventType.FILE_READ, "FILE_READ", "file_read"):
        assert optimizer.log_event(sid, value).event_type is EventType.FILE_READ


def test_get_optimizer_is_a_singleton() -> None:
    """get_optimizer() returns one shared optimizer on the default store."""
    from sessionoptimizer_sdk import get_optimizer

    assert get_optimizer() is get_optimizer()
