"""Line-range sets for reads: which lines of a file version are already in the context."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["LineSet"]


@dataclass(slots=True)
class LineSet:
    """A union of closed line ranges ``[start, end]`` (``end`` may be infinite: read to the end of file)."""

    ranges: list[tuple[float, float]] = field(default_factory=list)

    def covered(self, start: float, end: float) -> float:
        """How many lines of ``[start, end]`` are already in the set (infinite if an infinite tail is)."""
        total = 0.0
        for a, b in self.ranges:  # max/min spelled out: this runs for every read of a file read before
            lo = start if start > a else a
            hi = end if end < b else b
            if lo <= hi:
                total += math.inf if hi == math.inf or hi == -math.inf else hi - lo + 1
        return total

    def covers_tail(self, start: float) -> bool:
        """True if every line from ``start`` to the end of the file is in the set."""
        return any(a <= start and math.isinf(b) for a, b in self.ranges)

    def add(self, start: float, end: float) -> None:
        """Add ``[start, end]``, merging touching ranges."""
        merged: list[tuple[float, float]] = []
        for a, b in self.ranges:
            if b + 1 < start or end + 1 < a:
                merged.append((a, b))
            else:  # start, end = min(a, start), max(b, end), spelled out
                if not start < a:
                    start = a
                if not end > b:
                    end = b
        merged.append((start, end))
        merged.sort()
        self.ranges = merged
