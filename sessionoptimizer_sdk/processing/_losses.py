"""Lost-item counts by cause, kept until a store takes them: with the next batch, or a side file beside it.

Causes are counter names: ``dropped_queue_full``, ``dropped_disk_full``, ``dropped_read_only``,
``dropped_io_error``, ``dropped_closed``, ``rejected_malformed``; every ``dropped_*`` also adds to the
total ``dropped_events``. A store that cannot be written gets its counts in ``<store>-counters.json`` (else,
when its folder is read-only too, in the temp folder), merged into the store by the next writer.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Protocol

from .._internal.log import get_logger
from .._internal.safety import internal_errors_pending, restore_unpersisted_errors, take_unpersisted_errors

__all__ = ["LossLedger", "drop_cause", "side_file_counters"]

_log = get_logger("sessionoptimizer.writer")
_SIDE_SUFFIX = "-counters.json"
# SQLite's primary result codes (processing never imports sqlite3: the store is behind a protocol).
_SQLITE_READONLY = 8
_SQLITE_FULL = 13


class _CounterStore(Protocol):
    def add_counter(self, name: str, delta: int) -> None: ...


def drop_cause(exc: BaseException) -> str:
    """The counter suffix naming why a commit failed: disk_full, read_only or io_error."""
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    code = (
        code & 0xFF if isinstance(code, int) else None
    )  # extended codes carry the primary one in the low byte
    full = "disk is full" in text or "no space left" in text or getattr(exc, "errno", None) == errno.ENOSPC
    if code == _SQLITE_FULL or full:
        return "disk_full"
    if code == _SQLITE_READONLY or "readonly" in text or "read-only" in text or "read only" in text:
        return "read_only"
    return "io_error"


def _digest(text: str) -> str:
    """A stable 64-bit FNV-1a hash of ``text`` as 16 hex digits (pure Python: nothing to import when it is needed)."""
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogatepass"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def _temp_dir() -> Path:
    """The first writable temp folder (``TMPDIR``, ``TEMP``, ``TMP``, then the usual ones), as ``tempfile`` picks.

    No import: counts are put aside when a store fails, which may be after the host dropped privileges or ran out
    of file descriptors, when loading a module would fail too.
    """
    for name in (os.environ.get("TMPDIR"), os.environ.get("TEMP"), os.environ.get("TMP"), "/tmp", "/var/tmp"):
        if name and os.path.isdir(name) and os.access(name, os.W_OK | os.X_OK):
            return Path(name)
    return Path.cwd()


def _side_paths(store_path: str | os.PathLike[str]) -> list[Path]:
    """Where counts go when the store cannot take them: next to it, else (read-only folder) the temp folder."""
    digest = _digest(str(Path(store_path).resolve()))
    return [
        Path(f"{store_path}{_SIDE_SUFFIX}"),
        _temp_dir() / f"sessionoptimizer-{digest}{_SIDE_SUFFIX}",
    ]


def side_file_counters_of(side: Path) -> dict[str, int]:
    """The counts in one side file (empty when absent or unreadable)."""
    try:
        data = json.loads(side.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and type(v) is int and v > 0}


def side_file_counters(store_path: str | os.PathLike[str]) -> dict[str, int]:
    """Counters that could not be written into the store at ``store_path`` (empty when none)."""
    counts: dict[str, int] = {}
    for side in _side_paths(store_path):
        for name, n in side_file_counters_of(side).items():
            counts[name] = counts.get(name, 0) + n
    return counts


class LossLedger:
    """Counts not yet written to the store; used by the writer thread (and, for overflow, by producers)."""

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}
        self.absorb_pending = False  # look for side files at the next persist

    @property
    def pending(self) -> bool:
        """True when some counts are not in the store yet."""
        return bool(self._pending)

    def count(self, name: str, n: int) -> None:
        """Add ``n`` lost items under counter ``name`` (logged the first time something is pending)."""
        first = not self._pending
        self._pending[name] = self._pending.get(name, 0) + n
        if name.startswith("dropped_"):
            self._pending["dropped_events"] = self._pending.get("dropped_events", 0) + n
        if first:
            _log.warning("events lost (counted; see `sessionoptimizer doctor`)", cause=name, count=n)

    def persist(self, store: _CounterStore, store_path: str | None) -> None:
        """Write pending counts (side files' and this process's internal errors too) into ``store``."""
        if self.absorb_pending and store_path is not None:
            self._absorb(store_path)
        if not self._pending and not internal_errors_pending():
            return
        counts, self._pending = self._pending, {}
        errors = take_unpersisted_errors()
        if errors:
            counts["internal_errors"] = counts.get("internal_errors", 0) + errors
        try:
            for name, n in counts.items():
                store.add_counter(name, n)
        except Exception:
            for name, n in counts.items():
                if name != "internal_errors":
                    self._pending[name] = self._pending.get(name, 0) + n
            restore_unpersisted_errors(errors)

    def _absorb(self, store_path: str) -> None:
        self.absorb_pending = False
        for side in _side_paths(store_path):
            counts = side_file_counters_of(side)
            if not counts:
                continue
            try:
                side.unlink()
            except OSError:
                continue  # cannot remove it: leave the counts there rather than count them twice
            for name, n in counts.items():
                self._pending[name] = self._pending.get(name, 0) + n

    def save_aside(self, store_path: str | None) -> None:
        """Move the pending counts into a side file (merged with one already there); kept in memory on failure."""
        if store_path is None or not self._pending:
            return
        for side in _side_paths(store_path):
            counts = side_file_counters_of(side)
            for name, n in self._pending.items():
                counts[name] = counts.get(name, 0) + n
            try:
                fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "w") as fh:
                    json.dump(counts, fh)
            except OSError:
                continue
            self._pending = {}
            self.absorb_pending = True
            return
        _log.error("lost-event counts could not be saved yet; kept in memory", counts=self._pending)
