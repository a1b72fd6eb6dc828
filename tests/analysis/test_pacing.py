"""Provisional reports of all live sessions share one CPU budget, max-min fair (``analysis._pacing``)."""

from __future__ import annotations

from collections import deque

import pytest

from sessionoptimizer_sdk.analysis._pacing import PACED_ON, fair_waits, paced_cost


def test_one_session_waits_its_cost_over_the_duty_or_the_interval() -> None:
    """Alone, a session reports every interval unless its cost / duty is longer (the single-session rule)."""
    assert fair_waits({"a": 0.001}, 0.5, 0.05) == {"a": 0.5}  # 0.002 CPU/s wanted, 0.05 allowed
    assert fair_waits({"a": 2.0}, 0.5, 0.10) == {"a": pytest.approx(20.0)}  # 2 s / 10%


def test_equal_sessions_split_the_duty() -> None:
    """32 sessions of 1/128 s each at a 25% duty: each gets 1/128 CPU/s, so one report a second."""
    waits = fair_waits({f"s{i}": 1 / 128 for i in range(32)}, 0.5, 0.25)
    assert waits == {f"s{i}": 1.0 for i in range(32)}


def test_a_costly_session_slows_only_itself() -> None:
    """Cheap sessions keep the interval; the costly one gets what they leave of the duty.

    Duty 0.05, interval 0.5: 9 sessions of 1 ms want 0.002 CPU/s each (0.018 in all), under their equal share;
    the 1 s session gets the 0.032 left, so it waits 1 / 0.032 = 31.25 s. Summing all: 0.018 + 0.032 = 0.05.
    """
    costs = {f"cheap{i}": 0.001 for i in range(9)} | {"heavy": 1.0}
    waits = fair_waits(costs, 0.5, 0.05)
    assert {k: v for k, v in waits.items() if k != "heavy"} == {f"cheap{i}": 0.5 for i in range(9)}
    assert waits["heavy"] == pytest.approx(31.25)
    assert sum(cost / waits[sid] for sid, cost in costs.items()) == pytest.approx(0.05)


def test_the_costlier_sessions_share_equally_what_the_cheap_ones_leave() -> None:
    """Duty 0.1, interval 1: a (0.01) wants 0.01, under 0.1/3; b (0.5) and c (2.0) share 0.09: 0.045 each.

    So b waits 0.5 / 0.045 = 11.1 s and c 2.0 / 0.045 = 44.4 s.
    """
    waits = fair_waits({"a": 0.01, "b": 0.5, "c": 2.0}, 1.0, 0.1)
    assert waits == {"a": 1.0, "b": pytest.approx(0.5 / 0.045), "c": pytest.approx(2.0 / 0.045)}


def test_no_duty_paces_nothing_beyond_the_interval() -> None:
    """A duty of 0 turns the pacing off: every session waits the interval, whatever its cost."""
    assert fair_waits({"a": 5.0, "b": 0.0}, 0.5, 0.0) == {"a": 0.5, "b": 0.5}
    assert fair_waits({}, 0.5, 0.05) == {}


def test_no_interval_still_paces_by_cost() -> None:
    """With no rate limit (interval 0) a session still waits its cost over its share: 2 s / 10% = 20 s."""
    assert fair_waits({"a": 2.0, "b": 0.0}, 0.0, 0.10) == {"a": pytest.approx(20.0), "b": 0.0}


def test_one_slow_report_does_not_hold_back_the_next_but_a_lasting_cost_does() -> None:
    """Paced on the median of the last three costs (the smaller of two, none for one): a 500 ms spike paces nothing."""
    recent: deque[float] = deque(maxlen=PACED_ON)
    assert [paced_cost(recent, c) for c in (0.500, 0.010, 0.020)] == [0.0, 0.010, 0.020]
    assert [paced_cost(recent, c) for c in (0.500, 0.010)] == [0.020, 0.020]  # 0.01 0.02 0.5, 0.02 0.5 0.01
    assert [paced_cost(recent, c) for c in (0.500, 0.500)] == [0.500, 0.500]  # two slow of the last three
    assert fair_waits({"a": paced_cost(recent, 0.500)}, 0.5, 0.05) == {"a": pytest.approx(10.0)}
