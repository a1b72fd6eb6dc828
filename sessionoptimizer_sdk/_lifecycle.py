"""Process exit: open sessions are ended ABANDONED, queued events and analyses are flushed, within a deadline.

Runs at interpreter exit (``atexit``) and on SIGTERM when the host left SIGTERM at its default action (we then
flush and re-deliver the signal with the default action, so the exit status is unchanged). A SIGKILLed
process cannot run anything: the next optimizer opened on the store marks its sessions ABANDONED instead.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

from ._internal.safety import handle_internal_errors
from .processing.provider import shutdown_bounded

if TYPE_CHECKING:
    from .analysis.runner import AnalysisRunner
    from .optimizer import SessionOptimizer
    from .recording.recorder import Recorder

__all__ = ["close", "register", "unregister"]

# Strong references: an optimizer created in an expression must still flush its spans at exit.
_optimizers: set[SessionOptimizer] = set()
_installed = False
_lock = threading.Lock()
EXIT_DEADLINE = 5.0


def register(optimizer: SessionOptimizer) -> None:
    """Track ``optimizer`` for exit handling; install the hooks once per process."""
    global _installed
    _optimizers.add(optimizer)
    with _lock:
        if _installed:
            return
        _installed = True
        atexit.register(_at_exit)
        if optimizer.settings.handle_sigterm:
            _install_sigterm()


def close(recorder: Recorder, runner: AnalysisRunner | None, timeout: float) -> None:
    """End the recorder's open sessions as ABANDONED, then flush the writer and analysis, bounded by ``timeout``."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(0.1, deadline - time.monotonic())

    for sid in recorder.owned_active():
        recorder.end_abandoned(sid)
    with handle_internal_errors("lifecycle.flush"):
        recorder.writer.flush(left())
    if runner is not None:
        with handle_internal_errors("lifecycle.analysis"):
            runner.close(left())
    with handle_internal_errors("lifecycle.writer"):
        recorder.writer.close(left())
    if recorder.owns_provider:
        with handle_internal_errors("lifecycle.provider"):
            shutdown_bounded(recorder.provider, left())


def unregister(optimizer: SessionOptimizer) -> None:
    """Stop tracking ``optimizer`` (it has shut down)."""
    _optimizers.discard(optimizer)


def _at_exit() -> None:
    for optimizer in list(_optimizers):
        with handle_internal_errors("lifecycle.atexit"):
            optimizer.shutdown(EXIT_DEADLINE)


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
    _at_exit()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
