"""Abandonment recovery: ACTIVE sessions whose owner process died become ABANDONED, ended at their last event."""

from __future__ import annotations

from .._internal.process import is_alive
from .base import Store

__all__ = ["recover_abandoned"]


def recover_abandoned(store: Store) -> list[str]:
    """Mark every ACTIVE session whose owner process on this host is gone as ABANDONED; return their ids.

    Sessions without an owner (started by ``sessionoptimizer start`` to be ended from another shell) and sessions
    owned by another host are left alone.
    """
    dead = [
        sid
        for sid, pid, host, start in store.active_sessions_with_owner()
        if pid is not None and not is_alive(pid, host, start)
    ]
    if dead:
        store.mark_abandoned(dead)
    return dead
