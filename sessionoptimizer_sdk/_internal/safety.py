"""The one guard that swallows SDK faults so they never reach agent code.

Every place where SessionOptimizer runs inside the host's call path goes through :func:`handle_internal_errors`.
A fault is logged once per (site, exception type) and swallowed; with ``SESSIONOPTIMIZER_STRICT=1`` (the test
suite sets it) it is re-raised so faults never pass silently in tests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .log import get_logger

__all__ = ["handle_internal_errors", "internal_error_count", "is_strict", "record_internal_error"]

_log = get_logger("sessionoptimizer.internal")
_seen: set[tuple[str, type[BaseException]]] = set()
_lock = threading.Lock()
_count = 0


def is_strict() -> bool:
    """True when internal errors must propagate (``SESSIONOPTIMIZER_STRICT=1``)."""
    return os.environ.get("SESSIONOPTIMIZER_STRICT", "") == "1"


def internal_error_count() -> int:
    """How many internal errors were swallowed in this process (reported by ``doctor``)."""
    return _count


def _record(site: str, exc: Exception) -> None:
    global _count
    with _lock:
        _count += 1
        key = (site, type(exc))
        first = key not in _seen
        _seen.add(key)
    if first:
        _log.error("internal error swallowed", site=site, error=repr(exc), exc_info=exc)


def record_internal_error(site: str, exc: Exception) -> None:
    """Log (once per site and type) an error caught by a hot-path ``try``; re-raise it in strict mode."""
    _record(site, exc)
    if is_strict():
        raise exc


@contextmanager
def handle_internal_errors(site: str) -> Iterator[None]:
    """Swallow and log (once per site and type) any ``Exception`` raised in the block."""
    try:
        yield
    except Exception as exc:
        _record(site, exc)
        if is_strict():
            raise
