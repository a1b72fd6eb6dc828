"""Span ids ordered by time, trace ids from a private RNG; both ignore the host's ``random.seed``, reset on fork.

The OTel SDK's RandomIdGenerator draws from the global ``random`` module, which hosts seed (``random.seed(0)``
for reproducible agents; Hypothesis before every example): ids would then repeat across runs or even within one
session. Every id SessionOptimizer makes itself comes from here.

A span id is also the stored event's key (unique per session). Random keys land on random pages of that index, so
the cost of storing an event grew with the session; ours are ``counter << 32 | tag``: a per-process counter that
starts at the current 134 ms tick and adds one per id (unique within the process, increasing, so each session's
keys append at the right edge of the index) and a 32-bit process tag drawn from the OS (redrawn, never equal, in
a forked child, and when the counter passes 32 bits). Two processes' ids can only meet if their tags are equal (one
in 2**32 per pair of processes writing one session at overlapping counters); see ``docs/decisions/event-key.md``.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time

__all__ = ["SPAN_TAG_BITS", "new_span_id", "new_trace_id"]

#: Low bits of a span id holding the process tag; the 32 bits above count from the 134 ms tick since 2026.
SPAN_TAG_BITS = 32
_COUNTER_LIMIT = 1 << (64 - SPAN_TAG_BITS)
_TAG_MASK = (1 << SPAN_TAG_BITS) - 1
_STEP = 1 << SPAN_TAG_BITS  # one count
_ID_LIMIT = 1 << 64
_TICK_SHIFT = 27  # time.time_ns() >> 27: ticks of 134.2 ms, 2**32 of them from 2026 to 2044
_EPOCH_NS = 1_767_225_600 * 1_000_000_000  # 2026-01-01T00:00:00Z


def _now_tick() -> int:
    """The current 134 ms tick since 2026, wrapped into the counter's 32 bits."""
    return ((time.time_ns() - _EPOCH_NS) >> _TICK_SHIFT) % _COUNTER_LIMIT


def _draw_tag(avoid: int = 0) -> int:
    """A non-zero 32-bit tag from OS entropy, different from ``avoid``."""
    tag = 0
    while tag in (0, avoid):
        tag = int.from_bytes(os.urandom(4), "big")
    return tag


def _ids_from(count: int, tag: int) -> itertools.count[int]:
    """The ids ``count << 32 | tag``, ``(count + 1) << 32 | tag``, ...: one ``next()`` each, atomic under the GIL."""
    return itertools.count(count << SPAN_TAG_BITS | tag, _STEP)


class _PrivateIds:
    """The private generators behind :func:`new_span_id` and :func:`new_trace_id`."""

    def __init__(self) -> None:
        self._rng = random.Random(os.urandom(32))
        self._lock = threading.Lock()
        #: Counter and tag in one iterator, so a thread never pairs a new tag with an old count.
        self.ids = _ids_from(_now_tick(), _draw_tag())
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        """Fresh OS entropy and a new tag (a forked child must not repeat its parent's ids)."""
        self._rng.seed(os.urandom(32))
        self._lock = threading.Lock()
        last = next(self.ids)
        self.ids = _ids_from(max(_now_tick(), last >> SPAN_TAG_BITS), _draw_tag(avoid=last & _TAG_MASK))

    def roll_over(self, spent: itertools.count[int], value: int) -> int:
        """After 2**32 counts (``value`` overflowed 64 bits): a new tag (so no id repeats), the counter from zero."""
        with self._lock:
            if self.ids is spent:
                self.ids = _ids_from(0, _draw_tag(avoid=value & _TAG_MASK))
        return new_span_id()

    def trace_id(self) -> int:
        """A non-zero 128-bit random trace id."""
        value = self._rng.getrandbits(128)
        while not value:
            value = self._rng.getrandbits(128)
        return value


_IDS = _PrivateIds()


def new_span_id() -> int:
    """A non-zero 64-bit span id, unique in this process and ordered by time, that ``random.seed`` cannot repeat."""
    ids = _IDS.ids
    value = next(ids)
    return value if value < _ID_LIMIT else _IDS.roll_over(ids, value)


def new_trace_id() -> int:
    """A non-zero 128-bit trace id that a host's ``random.seed`` cannot repeat."""
    return _IDS.trace_id()
