"""Which session the running code belongs to: a ContextVar, plus a process-wide fallback for bare threads.

``asyncio`` tasks and ``contextvars.copy_context()`` inherit the current session automatically. Threads started
without a copied context see the process's sole live session, if there is exactly one; :func:`propagate` makes
the inheritance explicit for thread pools.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from .state import SessionState

__all__ = ["ContextThreadPoolExecutor", "current_scope", "propagate"]

P = ParamSpec("P")
R = TypeVar("R")

_current: contextvars.ContextVar[SessionState | None] = contextvars.ContextVar(
    "sessionoptimizer_session", default=None
)
_live: dict[str, SessionState] = {}
_live_lock = threading.Lock()
_sole: list[SessionState | None] = [None]  # the only live session in the process, if exactly one


def current_scope() -> SessionState | None:
    """The session the calling code runs in: the context's, else the process's only live session."""
    state = _current.get()
    if state is not None and not state.ended:
        return state
    return _sole[0]


def set_current(state: SessionState | None) -> contextvars.Token[SessionState | None]:
    """Make ``state`` the calling context's session; returns the token for :func:`reset_current`."""
    return _current.set(state)


def reset_current(token: contextvars.Token[SessionState | None]) -> None:
    """Undo :func:`set_current` (tolerates a token from another context, e.g. an async generator)."""
    try:
        _current.reset(token)
    except ValueError:
        _current.set(None)


def register_live(state: SessionState) -> None:
    """Add a session this process records to the fallback registry."""
    with _live_lock:
        _live[state.id] = state
        _refresh_sole()


def unregister_live(session_id: str) -> None:
    """Remove an ended session from the fallback registry."""
    with _live_lock:
        _live.pop(session_id, None)
        _refresh_sole()


def _refresh_sole() -> None:
    _sole[0] = next(iter(_live.values())) if len(_live) == 1 else None


def propagate(fn: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``fn`` so it runs in a copy of the caller's context (its session and its current span)."""
    ctx = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return ctx.copy().run(fn, *args, **kwargs)

    return run


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose tasks run in the submitting context, so tool calls join the right session."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Any:
        """Submit ``fn`` to run in a copy of the caller's context."""
        ctx = contextvars.copy_context()
        return super().submit(ctx.run, fn, *args, **kwargs)
