"""TokenTracker adapter: usage deltas become TOKEN_USAGE events without double counting."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionoptimizer_sdk import AdapterUnavailable, EventType, SessionOptimizer
from sessionoptimizer_sdk.adapters import TokenTrackerAdapter, UsageReading


def _usage_events(optimizer: SessionOptimizer, sid: str) -> list[tuple[int, int]]:
    return [
        (e.tokens_input, e.tokens_output)
        for e in optimizer.get_events(sid)
        if e.event_type is EventType.TOKEN_USAGE
    ]


def test_sync_logs_only_the_usage_since_the_last_sync(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """Repeated syncs of cumulative counters add up to exactly what TokenTracker saw during the session."""
    tt = teambrain.tokentracker
    tt.add_usage(5_000, 1_000)  # before the adapter: not this session's
    adapter = TokenTrackerAdapter(optimizer, tt.get_current_usage)
    with optimizer.session("FORGE", "Plan feature X") as s:
        tt.add_usage(1_200, 300)
        first = adapter.sync()
        assert adapter.sync() is None  # nothing new: nothing logged
        tt.add_usage(800, 200, model="opus-4.5")
        adapter.sync()
    assert first is not None and first.data == {"source": "TokenTracker", "model": "opus"}
    assert _usage_events(optimizer, s.id) == [(1_200, 300), (800, 200)]
    totals = optimizer.get_session(s.id).tokens
    assert (totals.input_tokens, totals.output_tokens) == (2_000, 500)


def test_module_source_and_reset_counters(optimizer: SessionOptimizer, teambrain: SimpleNamespace) -> None:
    """The module itself is accepted, and a counter that goes down (tracker restarted) counts from zero."""
    tt = teambrain.tokentracker
    adapter = TokenTrackerAdapter(optimizer, tt)
    with optimizer.session("ATLAS", "Build") as s:
        tt.add_usage(900, 100)
        adapter()
        tt.reset(input_tokens=50, output_tokens=5)
        adapter()
    assert _usage_events(optimizer, s.id) == [(900, 100), (50, 5)]


def test_missing_function_raises_adapter_unavailable(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A module without get_current_usage is refused at creation, naming the missing function."""
    with pytest.raises(AdapterUnavailable, match="get_current_usage"):
        TokenTrackerAdapter(optimizer, teambrain.synapselink)
    with pytest.raises(ImportError):  # AdapterUnavailable is an ImportError for callers that know only that
        TokenTrackerAdapter(optimizer, object())


def test_failing_tool_is_logged_and_never_reaches_the_agent(
    optimizer: SessionOptimizer, caplog: pytest.LogCaptureFixture
) -> None:
    """A get_current_usage that raises (or returns garbage) is logged; sync returns None and the session goes on."""
    calls = iter(
        [{"input_tokens": 10, "output_tokens": 1}, RuntimeError("tracker down"), {"input_tokens": -3}]
    )

    def get_current_usage() -> object:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    adapter = TokenTrackerAdapter(optimizer, get_current_usage)
    with (
        caplog.at_level(logging.WARNING, logger="sessionoptimizer.adapters"),
        optimizer.session("BOLT", "x") as s,
    ):
        assert adapter.sync() is None
        assert adapter.sync() is None
        s.log(EventType.AI_RESPONSE, tokens_output=5)
    assert adapter.failures == 2
    assert "tracker down" in caplog.text
    assert optimizer.get_session(s.id).tokens.output_tokens == 5


def test_sync_without_a_session_records_nothing(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """Usage accrued while no session is open is skipped, not carried into the next session."""
    tt = teambrain.tokentracker
    adapter = TokenTrackerAdapter(optimizer, tt)
    tt.add_usage(700, 70)
    assert adapter.sync() is None
    with optimizer.session("CLIO", "Deploy") as s:
        tt.add_usage(10, 1)
        adapter.sync()
    assert _usage_events(optimizer, s.id) == [(10, 1)]


counts = st.integers(min_value=0, max_value=10**9)


@given(st.lists(st.tuples(counts, counts, counts, counts), min_size=1, max_size=20))
def test_deltas_of_growing_counters_sum_to_the_last_reading(steps: list[tuple[int, int, int, int]]) -> None:
    """For any growing sequence of readings, the logged deltas sum to the final counters (no double count)."""
    running = [0, 0, 0, 0]
    last: UsageReading | None = UsageReading()
    total = [0, 0, 0, 0]
    for step in steps:
        running = [r + s for r, s in zip(running, step, strict=True)]
        reading = UsageReading(running[0], running[1], running[2], running[3])
        delta = reading.minus(last)
        total = [
            t + d
            for t, d in zip(
                total, (delta.input, delta.output, delta.cache_read, delta.cache_write), strict=True
            )
        ]
        assert min(delta.input, delta.output, delta.cache_read, delta.cache_write) >= 0
        last = reading
    assert total == running


@given(
    st.dictionaries(
        st.sampled_from(["input_tokens", "output_tokens", "prompt_tokens", "model"]),
        st.none() | st.integers(-5, 5) | st.text(max_size=3),
    )
)
def test_parse_accepts_only_non_negative_integer_counters(usage: dict[str, object]) -> None:
    """Parsing either yields non-negative counters or raises ValueError, whatever the mapping holds."""
    try:
        reading = UsageReading.parse(usage)
    except ValueError:
        return
    assert min(reading.input, reading.output, reading.cache_read, reading.cache_write) >= 0
