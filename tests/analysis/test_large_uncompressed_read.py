"""large_uncompressed_read: big uncompressed reads, saving measured when logged, else labelled an estimate."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import AnalysisConfig, analyze_events
from tests.analysis._builders import Events, of_type, session


def test_logged_compression_sizes_give_a_measured_saving() -> None:
    """With original/compressed sizes logged, the saving is exact and not an estimate."""
    ev = Events()
    ev.read("data.json", 6_000, original_tokens=6_000, compressed_tokens=1_500)
    [f] = of_type(analyze_events(session(), ev.items), "large_uncompressed_read")
    assert f.waste_tokens == 4_500
    assert f.details["estimated"] is False


def test_without_sizes_the_saving_is_an_estimate() -> None:
    """Without sizes the configured ratio is used and the finding says it is an estimate."""
    ev = Events()
    ev.read("data.json", 4_000)
    [f] = of_type(
        analyze_events(session(), ev.items, config=AnalysisConfig(assumed_compression_ratio=0.25)),
        "large_uncompressed_read",
    )
    assert f.waste_tokens == 3_000
    assert f.details["estimated"] is True
    assert "estimate" in f.description


def test_compressed_and_small_reads_are_not_flagged() -> None:
    """A read marked compressed, or under the threshold, is fine."""
    ev = Events()
    ev.read("a.json", 9_000, compressed=True, original_tokens=30_000, compressed_tokens=9_000)
    ev.read("b.py", 2_000)
    assert of_type(analyze_events(session(), ev.items), "large_uncompressed_read") == []


def test_recommendation_names_the_range_used() -> None:
    """When windowed reads show which lines were needed, the advice names that range."""
    ev = Events()
    ev.read("renderer.py", 8_000)
    ev.read("renderer.py", 300, offset=200, limit=61)
    report = analyze_events(session(), ev.items)
    assert any("lines 200-260 of renderer.py" in r.detail for r in report.recommendations)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 100_000), st.floats(0, 1), st.booleans())
def test_saving_is_within_the_read(tokens: int, ratio: float, compressed: bool) -> None:
    """The claimed saving is never negative nor more than the read itself."""
    ev = Events()
    ev.read("x", tokens, compressed=compressed)
    report = analyze_events(session(), ev.items, config=AnalysisConfig(assumed_compression_ratio=ratio))
    for f in of_type(report, "large_uncompressed_read"):
        assert 0 < f.waste_tokens <= tokens
