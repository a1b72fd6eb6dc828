"""LineSet, the read detector's record of which lines are in the context: merging and coverage by hand."""

from __future__ import annotations

import math

from sessionoptimizer_sdk.analysis.analyzers._lines import LineSet


def _set(*ranges: tuple[float, float]) -> LineSet:
    s = LineSet()
    for a, b in ranges:
        s.add(a, b)
    return s


def test_touching_ranges_merge_and_gapped_ones_do_not() -> None:
    """Lines 1-5 and 6-10 merge into 1-10 (either order); 1-5 and 7-10 leave line 6 out and stay apart."""
    assert _set((1, 5), (6, 10)).ranges == [(1, 10)]
    assert _set((6, 10), (1, 5)).ranges == [(1, 10)]
    assert _set((1, 5), (7, 10)).ranges == [(1, 5), (7, 10)]
    assert _set((7, 10), (1, 5)).ranges == [(1, 5), (7, 10)]


def test_a_range_bridging_two_merges_all_three() -> None:
    """1-3 and 8-10 joined by 4-7 become one range 1-10; an open tail absorbs what it overlaps."""
    assert _set((1, 3), (8, 10), (4, 7)).ranges == [(1, 10)]
    assert _set((50, 60), (1, math.inf)).ranges == [(1, math.inf)]


def test_covered_counts_lines_inclusively() -> None:
    """Coverage counts both ends: 1-10 covers 1 line of 10-20 and 6 lines of 1-3 plus 8-10 over 1-10."""
    assert _set((1, 10)).covered(10, 20) == 1
    assert _set((1, 10)).covered(11, 20) == 0
    assert _set((1, 3), (8, 10)).covered(1, 10) == 6


def test_covered_with_an_open_tail() -> None:
    """A read to the end of file from line 5 covers 16 lines of 1-20, and infinitely many of 1-end."""
    tail = _set((5, math.inf))
    assert tail.covered(1, 20) == 16
    assert tail.covered(1, math.inf) == math.inf
    assert tail.covers_tail(5) and tail.covers_tail(9) and not tail.covers_tail(4)
