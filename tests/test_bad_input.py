"""Bad input (issue 15, items 7-8): a rejected call raises an InvalidInputError and stores nothing.

A bad row already on disk never hides the others.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import (
    EventTooLarge,
    EventType,
    InvalidEventData,
    InvalidInputError,
    SessionOptimizer,
    SessionOptimizerError,
    SessionStatus,
)
from sessionoptimizer_sdk._internal import validate
from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.server.runner import serve_in_thread


def _snapshot(home: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every session and event row, read straight from the SQLite file."""
    con = sqlite3.connect(home / "sessionoptimizer.db")
    try:
        sessions = con.execute("SELECT id, status, event_count FROM sessions ORDER BY id").fetchall()
        events = con.execute("SELECT session_id, id, ts FROM events ORDER BY seq").fetchall()
    finally:
        con.close()
    return sessions, events


def _nested(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return root


_BAD_EVENT_CALLS: dict[str, dict[str, Any]] = {
    "timestamp datetime.max": {"timestamp": datetime.max},
    "timestamp datetime.min": {"timestamp": datetime.min.replace(tzinfo=UTC)},
    "timestamp before 1970": {"timestamp": datetime(1969, 12, 31, tzinfo=UTC)},
    "timestamp as string": {"timestamp": "2026-01-01T00:00:00"},
    "timestamp as int": {"timestamp": 1_700_000_000},
    "duration NaN": {"duration_ms": math.nan},
    "duration infinite": {"duration_ms": math.inf},
    "duration 1e308": {"duration_ms": 1e308},
    "duration bool": {"duration_ms": True},
    "duration negative": {"duration_ms": -1.0},
    "data nested 10,000 deep": {"data": _nested(10_000)},
    "data 50 MB string": {"data": {"blob": "x" * 50_000_000}},
}


@pytest.mark.parametrize("kwargs", list(_BAD_EVENT_CALLS.values()), ids=list(_BAD_EVENT_CALLS))
def test_bad_event_argument_is_refused_and_changes_nothing(
    optimizer: SessionOptimizer, home: Path, kwargs: dict[str, Any]
) -> None:
    """A poison timestamp, duration or data raises an InvalidInputError and the store is left as it was."""
    sid = optimizer.start_session("ATLAS", "Bad input", model="sonnet").id
    optimizer.log_event(sid, EventType.AI_RESPONSE, tokens_input=10)
    optimizer.flush()
    before = _snapshot(home)
    with pytest.raises(InvalidInputError):
        optimizer.log_event(sid, EventType.AI_RESPONSE, **kwargs)
    optimizer.flush()
    assert _snapshot(home) == before
    assert [s.id for s in optimizer.list_sessions()] == [sid]  # the store still reads


def test_oversized_event_names_the_limit(optimizer: SessionOptimizer) -> None:
    """A single 50 MB string raises EventTooLarge (an InvalidEventData) naming the 4 MiB per-event limit."""
    sid = optimizer.start_session("ATLAS", "Big", model="sonnet").id
    with pytest.raises(EventTooLarge, match="4,194,304") as info:
        optimizer.log_event(sid, EventType.TOOL_CALL, data={"blob": "x" * 50_000_000})
    assert isinstance(info.value, InvalidEventData)
    optimizer.log_event(sid, EventType.TOOL_CALL, data={"blob": "x" * 1_000_000})  # 1 MB: within the limit


def test_metadata_nested_too_deep_is_refused(optimizer: SessionOptimizer, home: Path) -> None:
    """Session metadata nested 10,000 levels raises InvalidEventData and creates no session."""
    with pytest.raises(InvalidEventData, match="nested more than 64"):
        optimizer.start_session("ATLAS", "Deep", metadata=_nested(10_000))
    assert _snapshot(home) == ([], [])


@pytest.mark.parametrize(("agent", "task"), [("at\ud800las", "t"), ("atlas", "task \udc00")])
def test_lone_surrogate_in_name_is_refused_before_anything_starts(
    optimizer: SessionOptimizer, home: Path, span_exporter: Any, agent: str, task: str
) -> None:
    """An agent or task with a lone surrogate raises InvalidInputError; no root span, no store row."""
    with pytest.raises(InvalidInputError, match="lone surrogate"):
        optimizer.start_session(agent, task)
    optimizer.flush()
    assert _snapshot(home) == ([], [])
    assert span_exporter.get_finished_spans() == ()
    assert optimizer._recorder.sessions == {}


def test_tool_decorator_on_non_callable_is_refused(optimizer: SessionOptimizer) -> None:
    """``@optimizer.tool("x")`` applied to a non-callable raises InvalidInputError, not TypeError."""
    with pytest.raises(InvalidInputError, match="needs a callable, got int"):
        optimizer.tool("x")(5)  # type: ignore[type-var]


def test_timestamp_range_bounds_are_inclusive_exclusive() -> None:
    """The accepted timestamp range is [1970-01-01, 2262-04-11) UTC: the last second before passes."""
    assert validate.timestamp_ns(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    last = datetime(2262, 4, 10, 23, 59, 59, tzinfo=UTC)
    assert validate.timestamp_ns(last) == pytest.approx(9_223_286_399 * 10**9, rel=1e-15)
    with pytest.raises(InvalidInputError):
        validate.timestamp_ns(datetime(2262, 4, 11, tzinfo=UTC))


def _poison(home: Path, sid: str) -> None:
    """Write what older builds stored for ``timestamp=datetime.max``: a year-10000 event time."""
    con = sqlite3.connect(home / "sessionoptimizer.db")
    with con:
        con.execute("UPDATE events SET ts = 253402300800.0 WHERE session_id = ?", (sid,))
        con.execute("UPDATE sessions SET last_event_at = 1e300 WHERE id = ?", (sid,))
    con.close()


def test_bad_row_on_disk_never_hides_the_others(home: Path) -> None:
    """A year-10000 row already stored: list, get, end, the CLI list and GET /api/sessions all still work."""
    opt = SessionOptimizer(home)
    try:
        good = opt.start_session("ATLAS", "Good", model="sonnet").id
        bad = opt.start_session("FORGE", "Poisoned", model="sonnet").id
        opt.log_event(bad, EventType.AI_RESPONSE, tokens_input=5)
        opt.end_session(good)
        opt.flush()
        _poison(home, bad)
        assert {s.id for s in opt.list_sessions()} == {good, bad}
        poisoned = opt.get_session(bad)
        assert poisoned.last_event_at == datetime.max.replace(tzinfo=UTC)  # clamped, not raised
        (event,) = opt.get_events(bad)
        assert event.timestamp == datetime.max.replace(tzinfo=UTC)
        assert opt.end_session(bad).status is SessionStatus.COMPLETED
    finally:
        opt.shutdown()
    result = CliRunner().invoke(cli, ["list"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert good in result.stdout and bad in result.stdout
    with serve_in_thread(home) as url:
        body = httpx.get(url + "/api/sessions", timeout=10).json()
    assert {s["id"] for s in body["sessions"]} == {good, bad}


_ANY_TEXT = st.text(max_size=12) | st.sampled_from(["\ud800", "\x1b[2J", " ", "ok", "a" * 300])
_ANY_NUMBER = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
)
_ANY_TIME = st.one_of(
    st.none(),
    st.datetimes(timezones=st.sampled_from([None, UTC])),
    st.integers(),
    st.text(max_size=5),
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=8,
)
_ANY_DATA = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=6), _JSON, max_size=3),
    st.sampled_from([_nested(200), {1: "int key"}, {"f": object()}, ["not", "a", "mapping"]]),
)
_LOG_CALLS = st.fixed_dictionaries(
    {
        "event_type": st.sampled_from([*EventType, "AI_RESPONSE", "NOPE", 3]),
        "data": _ANY_DATA,
        "tokens_input": _ANY_NUMBER,
        "tokens_output": _ANY_NUMBER,
        "timestamp": _ANY_TIME,
        "duration_ms": _ANY_NUMBER,
    }
)
_START_CALLS = st.fixed_dictionaries(
    {"agent": _ANY_TEXT, "task": _ANY_TEXT, "model": st.none() | _ANY_TEXT, "metadata": _ANY_DATA}
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=_START_CALLS, log=_LOG_CALLS)
def test_public_api_succeeds_or_raises_its_own_error_and_changes_nothing(
    optimizer: SessionOptimizer, home: Path, start: dict[str, Any], log: dict[str, Any]
) -> None:
    """start_session and log_event either succeed or raise a SessionOptimizerError leaving the store as it was."""
    optimizer.flush()
    before = _snapshot(home)
    try:
        sid = optimizer.start_session(**start).id
    except SessionOptimizerError:
        optimizer.flush()
        assert _snapshot(home) == before
        sid = optimizer.start_session("ATLAS", "property").id
    optimizer.flush()
    before = _snapshot(home)
    try:
        optimizer.log_event(sid, **log)
    except SessionOptimizerError:
        optimizer.flush()
        assert _snapshot(home) == before
    assert sid in {s.id for s in optimizer.list_sessions(limit=None)}  # the store still reads


@pytest.mark.parametrize(
    "kwargs",
    [{"since": "yesterday"}, {"until": 1_700_000_000}, {"agent": 7}, {"limit": True}, {"offset": -1}],
    ids=["since as string", "until as int", "agent as int", "limit bool", "offset negative"],
)
def test_list_sessions_bad_query_is_refused(optimizer: SessionOptimizer, kwargs: dict[str, Any]) -> None:
    """list_sessions with a non-datetime bound, a non-text agent or a bad page raises InvalidInputError."""
    with pytest.raises(InvalidInputError):
        optimizer.list_sessions(**kwargs)


_ANY_ID = st.one_of(
    st.none(), st.integers(), st.text(max_size=10), st.sampled_from(["../etc", "a" * 200, "ok-id", "x\x00y"])
)
_ANY_STATUS = st.one_of(st.sampled_from([*SessionStatus, "completed", "ACTIVE", "nope", ""]), st.integers())
_CALLS = st.one_of(
    st.tuples(st.just("end_session"), st.fixed_dictionaries({"session_id": _ANY_ID, "status": _ANY_STATUS})),
    st.tuples(st.just("get_session"), st.fixed_dictionaries({"session_id": _ANY_ID})),
    st.tuples(st.just("delete_session"), st.fixed_dictionaries({"session_id": _ANY_ID})),
    st.tuples(
        st.just("list_sessions"),
        st.fixed_dictionaries(
            {
                "agent": st.none() | _ANY_TEXT,
                "status": st.none() | _ANY_STATUS,
                "since": _ANY_TIME,
                "limit": _ANY_NUMBER,
            }
        ),
    ),
    st.tuples(st.just("agent_statistics"), st.fixed_dictionaries({"agent": _ANY_TEXT, "days": _ANY_NUMBER})),
    st.tuples(st.just("export_report"), st.fixed_dictionaries({"session_id": _ANY_ID, "format": _ANY_TEXT})),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(call=_CALLS)
def test_session_calls_succeed_or_raise_their_own_error_and_change_nothing(
    optimizer: SessionOptimizer, home: Path, call: tuple[str, dict[str, Any]]
) -> None:
    """end/get/delete/list/statistics/export with any arguments succeed or raise a SessionOptimizerError."""
    if not optimizer.list_sessions(agent="ATLAS", status="ACTIVE"):
        optimizer.start_session("ATLAS", "property", session_id=None)
    optimizer.flush()
    before = _snapshot(home)
    method, kwargs = call
    try:
        getattr(optimizer, method)(**kwargs)
    except SessionOptimizerError:
        optimizer.flush()
        assert _snapshot(home) == before


class _BrokenZone(tzinfo):
    """A tzinfo whose offset lookup fails (third-party zones can)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no offset")

    def dst(self, dt: datetime | None) -> timedelta:
        raise RuntimeError("no dst")

    def tzname(self, dt: datetime | None) -> str:
        return "broken"


def test_timestamp_with_a_failing_tzinfo_is_refused(optimizer: SessionOptimizer, home: Path) -> None:
    """A datetime whose tzinfo raises is an InvalidInputError for log_event and list_sessions, not a crash."""
    sid = optimizer.start_session("ATLAS", "zones").id
    broken = datetime(2026, 1, 1, tzinfo=_BrokenZone())
    with pytest.raises(InvalidInputError):
        optimizer.log_event(sid, EventType.AI_RESPONSE, timestamp=broken)
    with pytest.raises(InvalidInputError):
        optimizer.list_sessions(since=broken)


def test_statistics_window_beyond_a_century_is_refused(optimizer: SessionOptimizer) -> None:
    """agent_statistics(days=739,950) (found by hypothesis: an OverflowError before) is an InvalidInputError."""
    with pytest.raises(InvalidInputError, match="at most 36600"):
        optimizer.agent_statistics("ATLAS", days=739_950)
    assert optimizer.agent_statistics("ATLAS", days=36_600)["sessions_analyzed"] == 0
