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
    """Without sizes the configured ratio is used; the finding says "about" and that the share was configured."""
    ev = Events()
    ev.read("data.json", 4_000)
    [f] = of_type(
        analyze_events(session(), ev.items, config=AnalysisConfig(assumed_compression_ratio=0.25)),
        "large_uncompressed_read",
    )
    assert f.waste_tokens == 3_000
    assert f.details["estimated"] is True
    assert "about 3,000" in f.description
    assert "as configured" in f.description


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


def test_unmeasured_saving_uses_the_stated_per_kind_estimate() -> None:
    """No sizes logged: a 10,000-token log keeps 20% (saves 8,000), a 10,000-token .py keeps 60% (saves 4,000)."""
    ev = Events()
    ev.read("build.log", 10_000)
    ev.read("app.py", 10_000)
    by_path = {
        f.details["file_path"]: f
        for f in of_type(analyze_events(session(), ev.items), "large_uncompressed_read")
    }
    assert (by_path["build.log"].waste_tokens, by_path["app.py"].waste_tokens) == (8_000, 4_000)
    assert by_path["build.log"].details["basis"] == ["estimate:log"]
    assert "20% kept" in by_path["build.log"].description


def test_advice_fits_the_agent_and_never_suggests_a_range_for_a_range_read() -> None:
    """A 5,000-token range read gets 'narrow it', not 'read lines X-Y instead of the whole file', nor compression."""
    ev = Events()
    ev.read("big.py", 5_000, offset=1, limit=1_500, tool="Read")
    [r] = [
        r
        for r in analyze_events(session(), ev.items).recommendations
        if "large_uncompressed_read" in r.issue_types
    ]
    assert "already was a range" in r.detail and "Grep" in r.detail
    assert "instead of the whole file" not in r.detail and "ContextCompressor" not in r.detail


def test_compressor_advice_only_where_the_session_logs_compression() -> None:
    """A session that compresses other reads is told to compress this one too, at its own measured ratio."""
    ev = Events()
    ev.read("a.json", 2_500, compressed=True, original_tokens=10_000, compressed_tokens=2_500)
    ev.read("b.json", 8_000)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "large_uncompressed_read")
    assert f.waste_tokens == 6_000  # the session's measured ratio 2,500 / 10,000 = 25% kept
    assert any("ContextCompressor" in r.detail for r in report.recommendations)


def test_codex_shell_reads_get_shell_advice() -> None:
    """A whole-file `cat` in a Codex session is told to use rg or sed -n ranges."""
    ev = Events()
    ev.read("src/main.rs", 9_000, tool="shell", read_via="shell")
    [r] = analyze_events(session(model="gpt-5"), ev.items).recommendations[:1]
    assert "sed -n" in r.detail and "Grep" not in r.detail
