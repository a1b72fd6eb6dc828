"""Process exit: open sessions are ended ABANDONED, queued events and analyses are flushed, within a deadline.

Runs at interpreter exit (``atexit``) and on SIGTERM when the host left SIGTERM at its default action (we then
flush and re-deliver the signal with the default action, so the exit status is unchanged). ``multiprocessing``
children end through ``os._exit`` (no atexit): there it runs as a ``multiprocessing.util.Finalize`` at the
child's bootstrap exit, and on the SIGTERM with which ``Pool.terminate`` ends idle workers. A SIGKILLed
process cannot run anything: the next optimizer opened on the store marks its sessions ABANDONED instead.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from ._internal.safety import Guard
from .processing.provider import shutdown_bounded

if TYPE_CHECKING:
    from .analysis.runner import AnalysisRunner
    from .optimizer import SessionOptimizer
    from .recording.recorder import Recorder

__all__ = ["close", "register", "unregister"]

# Strong references: an optimizer created in an expression must still flush its spans at exit.
_optimizers: set[SessionOptimizer] = set()
_installed = False
_handle_sigterm = True
_lock = threading.Lock()
_child_finalizer: Any = None
_exit_pid = 0  # the pid whose exit handling has begun
_sigterm_pending = False
EXIT_DEADLINE = 5.0
_FLUSH = Guard("lifecycle.flush")
_ANALYSIS = Guard("lifecycle.analysis")
_WRITER = Guard("lifecycle.writer")
_PROVIDER = Guard("lifecycle.provider")
_AT_EXIT = Guard("lifecycle.atexit")
_CHILD = Guard("lifecycle.child")


class _Token:
    """A weak-referenceable key for ``multiprocessing.util.register_after_fork``."""


_token = _Token()


def register(optimizer: SessionOptimizer) -> None:
    """Track ``optimizer`` for exit handling; install the hooks once per process."""
    global _installed, _handle_sigterm
    _optimizers.add(optimizer)
    with _lock:
        if _installed:
            return
        _installed = True
        _handle_sigterm = optimizer.settings.handle_sigterm
        atexit.register(_at_exit)
        if _handle_sigterm:
            _install_sigterm()
        os.register_at_fork(after_in_child=_after_fork_in_child)
    process = sys.modules.get("multiprocessing.process")
    if process is not None and process.parent_process() is not None:  # created inside a spawned child
        _install_child_exit()
        _register_mp_after_fork()
        if _in_pool_worker():
            optimizer._recorder.writer.write_through()


def _after_fork_in_child() -> None:
    """A forked child starts with fresh locks; a multiprocessing child also gets the exit hook."""
    global _lock
    _lock = threading.Lock()
    _register_mp_after_fork()


def _register_mp_after_fork() -> None:
    # Process._bootstrap clears the finalizer registry after the fork, then runs the after-fork callbacks.
    util = sys.modules.get("multiprocessing.util")
    if util is not None:
        util.register_after_fork(_token, lambda _: _install_child_exit())


def _install_child_exit() -> None:
    """Run the exit handling at this multiprocessing child's bootstrap exit (it ends through ``os._exit``).

    A Pool worker acknowledges a task by sending its result, and may then be ended by ``Pool.terminate``'s
    SIGTERM at any moment (a Python SIGTERM handler there can even hang the pool): its writers commit each
    event before the call that logged it returns, and SIGTERM keeps its default action.
    """
    global _child_finalizer
    with _CHILD:
        from multiprocessing import util

        if _child_finalizer is None or not _child_finalizer.still_active():
            _child_finalizer = util.Finalize(None, _at_exit, exitpriority=100)
        if _in_pool_worker():
            for optimizer in list(_optimizers):
                optimizer._recorder.writer.write_through()
            if signal.getsignal(signal.SIGTERM) is _on_sigterm:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        elif _handle_sigterm:
            _install_sigterm()  # a child's SIGTERM (Process.terminate) flushes too


def _in_pool_worker() -> bool:
    process = sys.modules.get("multiprocessing.process")
    return process is not None and "PoolWorker" in process.current_process().name


def close(recorder: Recorder, runner: AnalysisRunner | None, timeout: float) -> None:
    """End the recorder's open sessions as ABANDONED, then flush the writer and analysis, bounded by ``timeout``.

    From here on each alert gets one delivery attempt per notifier within the deadline; whatever is still queued
    or in flight when it passes is logged and counted (``alerts_undelivered_dropped_at_exit``).
    """
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(0.1, deadline - time.monotonic())

    if runner is not None:
        runner.engine.begin_exit(deadline)
    for sid in recorder.owned_active():
        recorder.end_abandoned(sid)
    with _FLUSH:
        recorder.writer.flush(left())
    if runner is not None:
        with _ANALYSIS:
            runner.close(left())
    with _WRITER:
        recorder.writer.close(left())
    if recorder.owns_provider:
        with _PROVIDER:
            shutdown_bounded(recorder.provider, left())


def unregister(optimizer: SessionOptimizer) -> None:
    """Stop tracking ``optimizer`` (it has shut down)."""
    _optimizers.discard(optimizer)


def _at_exit() -> None:
    """Shut every optimizer down, once per process (atexit, a child's Finalize and SIGTERM may all call it)."""
    global _exit_pid
    if _exit_pid == os.getpid():
        return
    _exit_pid = os.getpid()
    for optimizer in list(_optimizers):
        with _AT_EXIT:
            optimizer.shutdown(EXIT_DEADLINE)
    if _sigterm_pending and threading.current_thread() is threading.main_thread():
        _die_by_sigterm()  # a SIGTERM arrived while we were exiting: end with its status, as it asked


def _install_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the host handles SIGTERM itself; atexit still runs if it exits normally
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        return


def _on_sigterm(signum: int, frame: object) -> None:
    global _sigterm_pending
    if _exit_pid == os.getpid():  # the exit under way (we interrupted it) re-delivers the signal when done
        _sigterm_pending = True
        return
    # On a helper thread: the interrupted main thread may hold a lock the shutdown needs.
    helper = threading.Thread(target=_at_exit, name="sessionoptimizer-sigterm", daemon=True)
    helper.start()
    helper.join(EXIT_DEADLINE + 1.0)
    _die_by_sigterm()


def _die_by_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
