"""Ending a one-shot command's process without the interpreter's teardown (~25 ms of a 0.5 s ``import``).

After a command's work is committed and its store closed, Python's shutdown still deallocates every module and
object one by one. A command that has nothing left to clean up calls :func:`allow_fast_exit`; the console entry
point then runs the exit handlers (``atexit``, which also flushes logging), flushes standard output and error,
and ends the process with the same exit code through ``os._exit``. Only with the main thread alone (a thread
still running means work in flight: the normal exit waits for it) and only from the process entry point, never
from ``cli.main(..., standalone_mode=False)``, a test runner or under a profiler (docs/decisions/import-speed.md).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

__all__ = ["allow_fast_exit", "fast_exit_allowed", "leave", "reset"]

_allowed = False


def allow_fast_exit() -> None:
    """Mark this process's command as done: nothing left to release but memory."""
    global _allowed
    _allowed = True


def reset() -> None:
    """Forget an earlier command's permission (a new command line starts)."""
    global _allowed
    _allowed = False


def fast_exit_allowed() -> bool:
    """True when the command allowed it, no other thread is running and no profiler or tracer watches.

    A profiler (``python -m cProfile -o OUT -m sessionoptimizer_sdk.cli ...``) writes its output after the
    program returns, which ``os._exit`` would skip.
    """
    return _allowed and threading.active_count() == 1 and sys.getprofile() is None and sys.gettrace() is None


def leave(code: int) -> None:
    """Run the exit handlers, flush stdout/stderr and end the process with ``code``.

    Returns without exiting if standard output or error cannot be flushed (a closed pipe): the normal exit then
    reports it as usual. The handlers run once (running them clears them).
    """
    if not _flushed():
        return
    atexit._run_exitfuncs()
    _flushed()
    os._exit(code)


def _flushed() -> bool:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return False
    return True
