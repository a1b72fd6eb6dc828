"""The one guard that swallows SDK faults so they never reach agent code.

Every place where SessionOptimizer runs inside the host's call path (or on one of its background threads) goes
through a :class:`Guard`, created once per site and used as ``with GUARD:`` or ``@GUARD``. A fault is counted,
logged at most once per ``LOG_INTERVAL`` per (site, exception type) with the number suppressed meanwhile, and
swallowed; with ``SESSIONOPTIMIZER_STRICT=1`` (the test suite sets it) it is re-raised so faults never pass
silently in tests. The count is persisted to the store by the writer (counter ``internal_errors``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, TypeVar

from .log import get_logger

__all__ = [
    "Guard",
    "handle_internal_errors",
    "internal_error_count",
    "internal_errors_pending",
    "is_strict",
    "record_internal_error",
    "restore_unpersisted_errors",
    "take_unpersisted_errors",
]

P = ParamSpec("P")
R = TypeVar("R")

_log = get_logger("sessionoptimizer.internal")
_lock = threading.Lock()
#: (site, exception type) -> (monotonic time of the last log line, faults suppressed since)
_last: dict[tuple[str, type[BaseException]], tuple[float, int]] = {}
_count = 0
_unpersisted = 0
LOG_INTERVAL = 60.0


def _reset_lock_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by another thread at the fork


os.register_at_fork(after_in_child=_reset_lock_in_child)


def is_strict() -> bool:
    """True when internal errors must propagate (``SESSIONOPTIMIZER_STRICT=1``)."""
    return os.environ.get("SESSIONOPTIMIZER_STRICT", "") == "1"


def internal_error_count() -> int:
    """How many internal errors were swallowed in this process."""
    return _count


def internal_errors_pending() -> bool:
    """True when some internal errors were not yet written to a store."""
    return _unpersisted > 0


def take_unpersisted_errors() -> int:
    """Internal errors not yet written to a store, resetting the figure (the writer adds them to a counter)."""
    global _unpersisted
    with _lock:
        n, _unpersisted = _unpersisted, 0
    return n


def restore_unpersisted_errors(n: int) -> None:
    """Give back a figure taken by :func:`take_unpersisted_errors` whose write failed."""
    global _unpersisted
    with _lock:
        _unpersisted += n


def _record(site: str, exc: BaseException) -> None:
    global _count, _unpersisted
    key = (site, type(exc))
    now = time.monotonic()
    with _lock:
        _count += 1
        _unpersisted += 1
        last, suppressed = _last.get(key, (-LOG_INTERVAL, 0))
        if now - last < LOG_INTERVAL:
            _last[key] = (last, suppressed + 1)
            return
        _last[key] = (now, 0)
    # a fault that comes back is logged again after LOG_INTERVAL, with how often it was silenced meanwhile
    with contextlib.suppress(
        Exception
    ):  # at interpreter exit logging itself fails (no imports, closed streams)
        _log.error(
            "internal error swallowed", site=site, error=repr(exc), suppressed=suppressed, exc_info=exc
        )


class Guard:
    """Swallows (counts, rate-limited logs) any ``Exception`` of one site; a context manager and a decorator."""

    __slots__ = ("site",)

    def __init__(self, site: str) -> None:
        self.site = site

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False  # no fault, or KeyboardInterrupt/SystemExit: never ours to swallow
        _record(self.site, exc)
        return not is_strict()

    def record(self, exc: BaseException) -> None:
        """Count and log ``exc`` caught by the caller; re-raise it in strict mode."""
        _record(self.site, exc)
        if is_strict():
            raise exc

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R | None]:
        """Decorate ``fn`` so its faults are swallowed (it then returns None)."""
        site = self.site

        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                _record(site, exc)
                if is_strict():
                    raise
                return None

        return guarded

    def __repr__(self) -> str:
        return f"Guard({self.site!r})"


_guards: dict[str, Guard] = {}


def handle_internal_errors(site: str) -> Guard:
    """The guard of ``site`` (cached: prefer a module-level ``Guard`` on hot paths)."""
    guard = _guards.get(site)
    if guard is None:
        guard = _guards.setdefault(site, Guard(site))
    return guard


def record_internal_error(site: str, exc: BaseException) -> None:
    """Count and log an error caught by a hand-written ``try``; re-raise it in strict mode."""
    handle_internal_errors(site).record(exc)
