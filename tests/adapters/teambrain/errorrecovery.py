"""Fake ErrorRecovery: ``with_recovery`` retries a failing function, then re-raises or returns a fallback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from _record import record

_STRATEGIES = {"retry", "fallback"}


def with_recovery(
    strategy: str = "retry", max_attempts: int = 3, fallback: Any = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Retry up to ``max_attempts`` times; ``fallback`` strategy returns ``fallback`` instead of raising."""
    if strategy not in _STRATEGIES:
        raise ValueError(f"unknown recovery strategy {strategy!r}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, max_attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    record("errorrecovery", "attempt_failed", attempt=attempt, error=repr(exc))
                    if attempt == max_attempts:
                        if strategy == "fallback":
                            return fallback
                        raise
            raise AssertionError("unreachable")

        return run

    return decorate
