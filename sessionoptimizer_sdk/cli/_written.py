"""Write commands (``start``, ``log``, ``end``) check that their write reached the store; a lost one exits 1.

The SDK never raises a failed commit into its caller (it counts the loss, see ``doctor``), so a command that
prints success must look: it re-reads the store, and names the cause from the loss counts the writer put
beside the store (``disk_full``, ``read_only``, ``io_error``) or, failing those, from the store's file system.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from logging.handlers import MemoryHandler
from pathlib import Path

from ..errors import StoreError
from ..processing._losses import side_file_counters

__all__ = ["LOSS_CAUSES", "HeldLog", "LossWatch", "sdk_log_held"]

#: Loss counters and why their events were lost (``doctor`` and the write commands' errors).
LOSS_CAUSES = {
    "dropped_queue_full": "the event queue was full; raise SESSIONOPTIMIZER_QUEUE_SIZE",
    "dropped_closed": "they were recorded after the recorder shut down",
    "dropped_disk_full": "the disk holding the store was full",
    "dropped_read_only": "the store was read-only",
    "dropped_io_error": "writing the store failed (I/O error)",
    "dropped_sink_error": "an internal error in the writer",
    "rejected_malformed": "they were malformed (see the internal-error log)",
}
_LOW_SPACE_BYTES = 1024 * 1024  #: less free space than this beside a failed write: call the disk full
_HELD_RECORDS = 10_000  #: log records held while a write command runs (more are written at once)


class LossWatch:
    """The store's loss counts before a command writes, to name the cause of a loss it then finds."""

    def __init__(self, store_path: str | os.PathLike[str] | None) -> None:
        self._path = store_path
        self._before = self._counts()

    def _counts(self) -> dict[str, int]:
        return side_file_counters(self._path) if self._path is not None else {}

    def cause(self) -> str:
        """Why this command's write was lost: a counter that grew meanwhile, else the file system's state."""
        after = self._counts()
        for name, reason in LOSS_CAUSES.items():
            if after.get(name, 0) > self._before.get(name, 0):
                return reason
        return _file_system_cause(self._path)

    def not_stored(self, what: str) -> StoreError:
        """The error (exit 1) for ``what`` missing from the store after the command wrote it."""
        where = f" ({self._path})" if self._path is not None else ""
        return StoreError(f"{what} was not stored: {self.cause()}{where}")


def _file_system_cause(path: str | os.PathLike[str] | None) -> str:
    """Disk full or read-only when the store's folder says so; else a pointer to where the detail is."""
    unknown = (
        "writing the store failed (see `sessionoptimizer doctor`; SESSIONOPTIMIZER_DEBUG=1 shows the log)"
    )
    if path is None:
        return unknown
    folder = Path(path).parent
    try:
        fs = os.statvfs(folder)
    except OSError:
        return unknown
    if fs.f_flag & os.ST_RDONLY or not os.access(folder, os.W_OK):
        return LOSS_CAUSES["dropped_read_only"]
    if fs.f_bavail * fs.f_frsize < _LOW_SPACE_BYTES:
        return LOSS_CAUSES["dropped_disk_full"]
    return unknown


class HeldLog:
    """The SDK's log lines held while a write command runs (see :func:`sdk_log_held`)."""

    def __init__(self, handler: MemoryHandler | None) -> None:
        self._handler = handler

    def discard(self) -> None:
        """Drop the lines held so far: the command reports their cause in its own one line."""
        if self._handler is not None:
            self._handler.buffer.clear()


@contextlib.contextmanager
def sdk_log_held() -> Iterator[HeldLog]:
    """Hold the SDK's log lines while a write command runs: written after a success, dropped after a failure.

    A failed command's one ``error:`` line names the cause; ``SESSIONOPTIMIZER_DEBUG=1`` shows every line live.
    """
    if os.environ.get("SESSIONOPTIMIZER_DEBUG") == "1":
        yield HeldLog(None)
        return
    logger = logging.getLogger("sessionoptimizer")
    target = logging.StreamHandler(sys.stderr)
    target.setLevel(logging.WARNING)  # what Python's last-resort handler would have shown
    held = MemoryHandler(_HELD_RECORDS, flushLevel=logging.CRITICAL + 1, target=target, flushOnClose=False)
    propagate = logger.propagate
    logger.addHandler(held)
    logger.propagate = False
    try:
        yield HeldLog(held)
    except BaseException:
        held.buffer.clear()
        raise
    else:
        held.flush()
    finally:
        logger.removeHandler(held)
        logger.propagate = propagate
        held.close()
