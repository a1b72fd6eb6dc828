"""Process identity: tells a live owner process from a dead one (or a recycled pid) for abandonment recovery."""

from __future__ import annotations

import os
import socket
from functools import cache

__all__ = ["current_identity", "is_alive"]


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (Linux; empty elsewhere or when gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
    except OSError:
        return []
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    return stat[stat.rfind(")") + 2 :].split()


def _start_marker(pid: int) -> str:
    """The kernel's start time of ``pid`` (Linux), so a recycled pid is not mistaken for the owner."""
    fields = _stat_fields(pid)
    return fields[19] if len(fields) > 19 else ""


@cache
def _host() -> str:
    return socket.gethostname()


def current_identity() -> tuple[int, str, str]:
    """(pid, host, start marker) of this process, recorded as the owner of the sessions it starts."""
    pid = os.getpid()
    return pid, _host(), _start_marker(pid)


def is_alive(pid: int, host: str | None, start: str | None) -> bool:
    """True unless ``pid`` on this host is certainly gone (or is now another process)."""
    if host is not None and host != _host():
        return True  # another machine sharing the store: we cannot tell, so never abandon it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    fields = _stat_fields(pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # it died; its parent has not collected its exit status yet (a zombie)
    if start:
        marker = fields[19] if len(fields) > 19 else ""
        if marker and marker != start:
            return False
    return True
