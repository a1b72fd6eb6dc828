"""Runs user callbacks (report listeners, notifiers) so that none can stop or stall our background threads.

Each call runs on its own short-lived daemon thread (instrumentation suppressed) and is awaited up to a
timeout: an exception of any kind, ``SystemExit`` and ``KeyboardInterrupt`` included, or a hang is a failure
that is logged (rate-limited) and counted, and the caller moves on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from .worker import suppressed_thread

__all__ = ["CallbackTimeout", "call_isolated"]

T = TypeVar("T")


class CallbackTimeout(TimeoutError):
    """A user callback did not return within its timeout (it keeps running on its own thread)."""


def call_isolated(fn: Callable[[T], object], arg: T, *, timeout: float, name: str) -> BaseException | None:
    """Call ``fn(arg)`` on a helper thread; None when it returned within ``timeout``, else what went wrong."""
    outcome: list[BaseException | None] = []
    done = threading.Event()

    def run() -> None:
        try:
            fn(arg)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            done.set()

    suppressed_thread(run, f"sessionoptimizer-callback-{name}").start()
    if not done.wait(timeout):
        return CallbackTimeout(f"{name} did not return within {timeout:g} s")
    return outcome[0]
