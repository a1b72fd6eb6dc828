"""Span and trace ids from a private RNG seeded by the OS, reseeded after fork.

The OTel SDK's RandomIdGenerator draws from the global ``random`` module, which hosts seed (``random.seed(0)``
for reproducible agents; Hypothesis before every example): ids would then repeat across runs or even within one
session. Every id SessionOptimizer makes itself comes from here.
"""

from __future__ import annotations

import os
import random

__all__ = ["new_span_id", "new_trace_id"]


class _PrivateIds:
    """The private generator behind :func:`new_span_id` and :func:`new_trace_id`."""

    def __init__(self) -> None:
        self._rng = random.Random(os.urandom(32))
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        """Fresh OS entropy (a forked child must not repeat its parent's ids)."""
        self._rng.seed(os.urandom(32))

    def span_id(self) -> int:
        """A non-zero 64-bit span id."""
        value = self._rng.getrandbits(64)
        while not value:
            value = self._rng.getrandbits(64)
        return value

    def trace_id(self) -> int:
        """A non-zero 128-bit trace id."""
        value = self._rng.getrandbits(128)
        while not value:
            value = self._rng.getrandbits(128)
        return value


_IDS = _PrivateIds()


def new_span_id() -> int:
    """A non-zero 64-bit span id that a host's ``random.seed`` cannot repeat."""
    return _IDS.span_id()


def new_trace_id() -> int:
    """A non-zero 128-bit trace id that a host's ``random.seed`` cannot repeat."""
    return _IDS.trace_id()
