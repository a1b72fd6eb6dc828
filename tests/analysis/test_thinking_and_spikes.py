"""thinking_overhead and token_spike: shares and running averages on fresh tokens."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, of_type, session


def test_thinking_over_threshold_claims_the_excess() -> None:
    """8,000 thinking of 10,000 output is 80%: the excess over 60% (2,000) is waste."""
    ev = Events()
    ev.add(EventType.THINKING, tokens_output=8_000)
    ev.call(out=2_000)
    [f] = of_type(analyze_events(session(), ev.items), "thinking_overhead")
    assert f.waste_tokens == 2_000


def test_thinking_under_threshold_is_fine() -> None:
    """Reasoning at 29% of output (as in real Codex sessions) is not flagged."""
    ev = Events()
    ev.call(out=10_000, reasoning_tokens=2_900)
    assert of_type(analyze_events(session(), ev.items), "thinking_overhead") == []


def test_spike_on_fresh_tokens_names_its_cause() -> None:
    """A call with fresh tokens over 3x the running average is a spike; a big tool result before it is the cause."""
    ev = Events()
    for _ in range(4):
        ev.call(inp=1_000, out=100)
    ev.read("huge.log", 9_000)
    ev.call(inp=9_500, out=100)
    [f] = of_type(analyze_events(session(), ev.items), "token_spike")
    assert f.waste_tokens == 0
    assert "huge.log" in f.details["spikes"][0]["cause"]
    assert f.details["max_ratio"] > 3


def test_cache_reads_do_not_make_spikes() -> None:
    """A growing context read from cache is not a spike (cache reads are excluded)."""
    ev = Events()
    for i in range(10):
        ev.call(inp=10, cr=10_000 * (i + 1), cw=500, out=100)
    assert of_type(analyze_events(session(), ev.items), "token_spike") == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50_000), max_size=30))
def test_spike_ratio_is_over_the_factor(sizes: list[int]) -> None:
    """Every reported spike is over 3x the average of the fresh tokens before it."""
    ev = Events()
    for n in sizes:
        ev.call(inp=n, out=0)
    report = analyze_events(session(), ev.items)
    for f in of_type(report, "token_spike"):
        for spike in f.details["spikes"]:
            assert spike["ratio"] >= 3  # strictly over 3x; the reported ratio is rounded to 2 decimals
