"""large_uncompressed_read keeps each file's draft between live reports: every report still equals a full one."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis.analyzers.large_uncompressed_read import LargeUncompressedReadAnalyzer
from sessionoptimizer_sdk.analysis.base import Draft
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.feed import Feed
from sessionoptimizer_sdk.analysis.registry import load_analyzers
from sessionoptimizer_sdk.models import EventType, SessionEvent, SessionStatus
from tests.analysis._builders import T0, Events, session

NOW = T0 + timedelta(hours=5)
_READ = st.fixed_dictionaries(
    {
        "path": st.sampled_from(["app.log", "data.json", "README.md", "main.py", "blob"]),
        "tokens": st.sampled_from([1_500, 2_500, 9_000, 40_000]),
        # a range read (widens the file's window), a logged compression (moves the session's ratio), a measured
        # ratio whose saving rounds to 0 (the file's place then comes from a later read), or a plain read
        "how": st.sampled_from(["plain", "plain", "range", "compressed", "measured", "measured_none"]),
        "offset": st.sampled_from([1, 40, 400]),
    }
)


def _savings(drafts: list[Any]) -> list[int]:
    """Each draft's claimed tokens."""
    assert all(isinstance(d, Draft) for d in drafts)
    return [sum(c.tokens for c in d.claims) for d in drafts]


def _events(reads: list[dict[str, Any]]) -> list[SessionEvent]:
    ev = Events(step=30.0)
    for r in reads:
        data: dict[str, Any] = {"file_path": r["path"], "result_tokens": r["tokens"], "tool": "Read"}
        if r["how"] == "range":
            data.update(offset=r["offset"], limit=120)
        elif r["how"] == "compressed":
            data.update(compressed=True, original_tokens=r["tokens"] * 4, compressed_tokens=r["tokens"])
        elif r["how"] == "measured":
            data.update(original_tokens=r["tokens"] * 2, compressed_tokens=r["tokens"])
        elif r["how"] == "compressed_more":  # with a 4:1 read before it: 5,000 -> 2,000 in all
            data.update(compressed=True, original_tokens=1_000, compressed_tokens=r["tokens"])
        elif r["how"] == "measured_none":
            data.update(original_tokens=r["tokens"] + 1, compressed_tokens=r["tokens"])
        ev.add(EventType.FILE_READ, data=data)
        ev.call(inp=200, out=20)
    return ev.items


@settings(max_examples=80, deadline=None)
@given(
    reads=st.lists(_READ, min_size=1, max_size=30),
    cuts=st.lists(st.integers(1, 60), max_size=6),
    assumed=st.sampled_from([None, 0.25, 1.0]),
)
def test_drafts_kept_between_reports_equal_drafts_from_scratch(
    reads: list[dict[str, Any]], cuts: list[int], assumed: float | None
) -> None:
    """After each batch, the kept state's drafts equal those of a state fed every event at once."""
    cfg = AnalysisConfig(assumed_compression_ratio=assumed)
    active = session(status=SessionStatus.ACTIVE)
    events = _events(reads)
    analyzer = next(a for a in load_analyzers() if isinstance(a, LargeUncompressedReadAnalyzer))
    live = Feed(active, cfg, [analyzer])
    bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
    for lo, hi in itertools.pairwise(bounds):
        live.add(events[lo:hi])
        got = list(analyzer.drafts(live.states[analyzer.name], live.context(active, NOW)))
        again = list(analyzer.drafts(live.states[analyzer.name], live.context(active, NOW)))
        fresh = Feed(active, cfg, [analyzer])
        fresh.add(events[:hi])
        want = list(analyzer.drafts(fresh.states[analyzer.name], fresh.context(active, NOW)))
        assert got == want
        assert again == want


def test_a_new_compression_ratio_redrafts_every_file() -> None:
    """A compressed read moves the session's ratio: an unchanged file's kept draft is rebuilt with it.

    Two 10,000-token reads of main.py save 40% each by the code estimate (code keeps 60%): 8,000 tokens. Then a
    compressed read of app.log logs 4,000 -> 1,000 (ratio 0.25): main.py's saving becomes 75% of 20,000 = 15,000.
    """
    cfg = AnalysisConfig()
    active = session(status=SessionStatus.ACTIVE)
    ev = Events(step=30.0)
    for _ in range(2):
        ev.add(EventType.FILE_READ, data={"file_path": "main.py", "result_tokens": 10_000, "tool": "Read"})
    analyzer = next(a for a in load_analyzers() if isinstance(a, LargeUncompressedReadAnalyzer))
    feed = Feed(active, cfg, [analyzer])
    feed.add(ev.items)
    before = list(analyzer.drafts(feed.states[analyzer.name], feed.context(active, NOW)))
    assert _savings(before) == [8_000]  # 40% of 20,000 (code keeps 60%)
    squeezed = ev.add(
        EventType.FILE_READ,
        data={
            "file_path": "app.log",
            "result_tokens": 1_000,
            "compressed": True,
            "original_tokens": 4_000,
            "compressed_tokens": 1_000,
            "tool": "Read",
        },
    )
    feed.add([squeezed])
    after = list(analyzer.drafts(feed.states[analyzer.name], feed.context(active, NOW)))
    assert _savings(after) == [15_000]  # 75% of 20,000


def _drafts(reads: list[dict[str, Any]], cut: int) -> tuple[list[Any], list[Any]]:
    """Drafts of a state fed ``reads[:cut]`` then the rest (drafted in between), and of one fed all at once."""
    cfg = AnalysisConfig()
    active = session(status=SessionStatus.ACTIVE)
    events = [e for e in _events(reads) if e.event_type is EventType.FILE_READ]
    analyzer = next(a for a in load_analyzers() if isinstance(a, LargeUncompressedReadAnalyzer))
    live = Feed(active, cfg, [analyzer])
    live.add(events[:cut])
    list(analyzer.drafts(live.states[analyzer.name], live.context(active, NOW)))
    live.add(events[cut:])
    fresh = Feed(active, cfg, [analyzer])
    fresh.add(events)
    return (
        list(analyzer.drafts(live.states[analyzer.name], live.context(active, NOW))),
        list(analyzer.drafts(fresh.states[analyzer.name], fresh.context(active, NOW))),
    )


def test_a_second_compressed_read_moves_the_ratio_of_kept_drafts() -> None:
    """The session already compresses (4:1); a second compressed read brings it to 5,000 -> 2,000 (ratio 0.4).

    main.py's 10,000-token read then saves 60% (6,000 tokens), no longer 75% (7,500).
    """
    squeeze = {"path": "app.log", "tokens": 1_000, "how": "compressed", "offset": 1}  # 4,000 -> 1,000
    reads = [squeeze, {"path": "main.py", "tokens": 10_000, "how": "plain", "offset": 1}]
    reads.append({**squeeze, "tokens": 1_000, "how": "compressed_more"})
    got, want = _drafts(reads, 2)
    assert got == want
    assert _savings(got) == [6_000]


def test_a_small_range_read_changes_a_kept_files_advice() -> None:
    """A 1,500-token range read of main.py is no big read, but its range now fits the advice on main.py."""
    reads = [
        {"path": "main.py", "tokens": 10_000, "how": "plain", "offset": 1},
        {"path": "main.py", "tokens": 1_500, "how": "range", "offset": 40},
    ]
    got, want = _drafts(reads, 1)
    assert got == want
    assert got[0].recommendation is not None and "lines 40-159" in got[0].recommendation.detail


def test_files_come_in_the_order_of_their_first_saving_read() -> None:
    """main.py's first read saves nothing (measured 10,001 -> 10,000); data.json's does: data.json comes first."""
    reads = [
        {"path": "main.py", "tokens": 10_000, "how": "measured_none", "offset": 1},
        {"path": "data.json", "tokens": 10_000, "how": "plain", "offset": 1},
        {"path": "main.py", "tokens": 10_000, "how": "plain", "offset": 1},
    ]
    got, want = _drafts(reads, 2)
    assert got == want
    assert [d.details["file_path"] for d in got] == ["data.json", "main.py"]
