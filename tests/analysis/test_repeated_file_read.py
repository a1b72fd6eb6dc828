"""repeated_file_read: only content returned again unchanged is waste."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, of_type, session


def test_identical_reread_counts_all_its_tokens() -> None:
    """A whole-file re-read with no edit between wastes exactly the re-read's tokens."""
    ev = Events()
    first = ev.read("src/app.py", 1_500)
    again = ev.read("src/app.py", 1_500)
    [f] = of_type(analyze_events(session(), ev.items), "repeated_file_read")
    assert f.waste_tokens == 1_500
    assert again.id in f.evidence and first.id in f.evidence


def test_reread_after_edit_is_not_waste() -> None:
    """Reading a file again after editing it is how agents verify edits: not flagged."""
    ev = Events()
    ev.read("src/app.py", 1_500)
    ev.write("src/app.py")
    ev.read("src/app.py", 1_500)
    assert of_type(analyze_events(session(), ev.items), "repeated_file_read") == []


def test_other_line_range_is_not_waste() -> None:
    """A windowed read of lines not read before is new content."""
    ev = Events()
    ev.read("big.py", 400, offset=1, limit=100)
    ev.read("big.py", 400, offset=101, limit=100)
    assert of_type(analyze_events(session(), ev.items), "repeated_file_read") == []


def test_overlapping_lines_count_pro_rata() -> None:
    """Only the overlapping lines of a window are redundant (half the window here)."""
    ev = Events()
    ev.read("big.py", 400, offset=1, limit=100)
    ev.read("big.py", 400, offset=51, limit=100)
    [f] = of_type(analyze_events(session(), ev.items), "repeated_file_read")
    assert f.waste_tokens == 200


def test_compaction_and_changed_hash_reset_the_version() -> None:
    """After a compaction, or when the content hash changed, a re-read is not waste."""
    ev = Events()
    ev.read("a.py", 900)
    ev.add(EventType.COMPACTION)
    ev.read("a.py", 900)
    ev.read("b.py", 900, content_sha256="x")
    ev.read("b.py", 900, content_sha256="y")
    assert of_type(analyze_events(session(), ev.items), "repeated_file_read") == []


def test_carry_over_is_bounded_by_later_cache_reads() -> None:
    """Redundant content is carried as cache reads by later calls, never more than they read."""
    ev = Events()
    ev.call(cw=5_000)
    ev.read("a.py", 1_000)
    ev.call(cr=5_000, cw=1_000)
    ev.read("a.py", 1_000)
    ev.call(cr=6_000, cw=1_000)  # writes the redundant copy
    ev.call(cr=7_000, cw=10)  # reads it from cache
    ev.call(cr=500, cw=10)  # reads only 500 tokens from cache in all
    [f] = of_type(analyze_events(session(), ev.items), "repeated_file_read")
    assert f.waste_by_kind["content"] == 1_000
    assert f.waste_by_kind["cache_read_carryover"] == 1_500


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["read", "write"]),
            st.sampled_from(["a.py", "b.py"]),
            st.one_of(st.none(), st.integers(1, 50)),
            st.one_of(st.none(), st.integers(1, 50)),
            st.integers(0, 5_000),
        ),
        max_size=30,
    )
)
def test_waste_never_exceeds_what_reads_returned(
    ops: list[tuple[str, str, int | None, int | None, int]],
) -> None:
    """Whatever the sequence, redundant tokens never exceed the tokens the re-reads returned."""
    ev = Events()
    for kind, path, offset, limit, tokens in ops:
        if kind == "read":
            ev.read(path, tokens, offset, limit)
        else:
            ev.write(path)
    report = analyze_events(session(), ev.items)
    read_tokens = {e.id: e.data["result_tokens"] for e in ev.items if e.event_type is EventType.FILE_READ}
    for f in of_type(report, "repeated_file_read"):
        assert f.waste_tokens <= sum(read_tokens[i] for i in f.evidence if i in read_tokens)
