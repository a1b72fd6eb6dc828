"""Pause the cyclic GC for the length of one full analysis (it makes no reference cycles: nothing to collect).

A full analysis of a long session allocates tens of thousands of objects that outlive the young generations;
each time they pass a quarter of the old heap the cyclic GC walks the whole heap, the session's events
included (measured: ~30% of a 100,000-event analysis). The pause is restored on exit, exceptions included,
and only taken when the GC was enabled, the session is long enough for it to matter, and the caller is the
main thread (a CLI command, a user's own ``analyze`` call): never from the SDK's background threads, which must not
change a host process's GC while the host runs.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PAUSE_MIN_EVENTS", "gc_paused"]

#: Sessions shorter than this are analyzed with the GC left alone (no full collection is at stake).
PAUSE_MIN_EVENTS = 5_000


@contextmanager
def gc_paused(events: int) -> Iterator[None]:
    """Disable the cyclic GC while the block runs (>= ``PAUSE_MIN_EVENTS`` events, GC enabled, main thread only)."""
    if (
        events < PAUSE_MIN_EVENTS
        or not gc.isenabled()
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
