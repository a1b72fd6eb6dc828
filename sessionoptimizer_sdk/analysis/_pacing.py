"""How long each live session waits between provisional reports, so that all of them share one CPU budget.

A provisional report costs about the same each time, whatever is new (the feeding of new rows is per event and
not paced). :func:`fair_waits` gives every live session the report rate its cost allows within a max-min fair
share of ``duty`` (CPU seconds per second, for all sessions together): sessions that need less than an equal
share keep their full rate (one report per ``interval``), and what they leave is shared by the costlier ones.
The total stays within ``duty`` however many sessions are live; one costly session slows only itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

__all__ = ["PACED_ON", "fair_waits", "paced_cost"]

#: A session is paced on the median cost of its last this many reports: one slow report (a full collection of
#: the cyclic GC, a burst of changed findings) does not hold its next ones back.
PACED_ON = 3


def fair_waits(costs: Mapping[str, float], interval: float, duty: float) -> dict[str, float]:
    """Seconds each session waits between reports: at least ``interval``, within a max-min share of ``duty``.

    ``costs`` are the CPU seconds of each session's last report. With ``duty <= 0`` nothing is paced beyond
    ``interval``. A session of cost 0 always gets ``interval``.
    """
    interval = max(interval, 0.0)
    if duty <= 0:
        return dict.fromkeys(costs, interval)
    waits: dict[str, float] = {}
    left, count = duty, len(costs)
    for sid, cost in sorted(costs.items(), key=lambda item: item[1]):  # cheapest first: water-filling
        share = left / count
        count -= 1
        if cost <= 0:
            waits[sid] = interval
            continue
        want = cost / interval if interval else float("inf")  # CPU per second at one report per interval
        if want <= share:
            waits[sid] = interval
            left -= want
        else:  # this one and every costlier one get an equal share of what is left
            waits[sid] = cost / share
            left -= share
    return waits


def paced_cost(recent: deque[float], cost: float) -> float:
    """Add ``cost`` to a session's recent report costs (a deque of ``PACED_ON``) and return what to pace on.

    The median once ``PACED_ON`` costs are known, the smaller of two, nothing for one: the first report after a
    session's live state is built often pays a full collection of what the build allocated (measured: 46 of 75 ms
    at 100,000 events), and must not hold back the next. A session whose reports all cost much is paced from its
    second on; one unpaced report per session is what that costs the CPU budget.
    """
    recent.append(cost)
    if len(recent) < 2:
        return 0.0
    ordered = sorted(recent)
    return ordered[len(ordered) // 2] if len(ordered) >= PACED_ON else ordered[0]
