"""The store writer: a :class:`BatchWorker` whose sink maps finished spans to rows and commits them in batches.

Producers (span processor ``on_end``) only queue typed items. Each item is mapped under its own guard, so one
malformed span never costs the batch behind it. A failed commit is retried with backoff; every lost item is
counted by cause (queue full, disk full, read-only store, I/O error, malformed) and persisted for ``doctor``:
with the next successful batch, or, when the store cannot be written at all, in a side file next to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from opentelemetry.sdk.trace import ReadableSpan

from .. import conventions as c
from .._internal.log import get_logger
from .._internal.safety import (
    Guard,
    internal_errors_pending,
    restore_unpersisted_errors,
    take_unpersisted_errors,
)
from .._internal.worker import BatchWorker
from ..config import DEFAULT_QUEUE_SIZE
from .lite import LiteSpan
from .mapping import event_row_from_span, session_end_from_span

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_QUEUE_SIZE",
    "BatchWriter",
    "CommitListener",
    "ForeignSpan",
    "SessionEndItem",
    "WriterItem",
    "WriterStore",
    "drop_cause",
    "side_file_counters",
]

_log = get_logger("sessionoptimizer.writer")

#: Called on the writer thread after each commit with (sessions that got events, sessions that ended).
CommitListener = Callable[[set[str], list[str]], None]

BATCH_SIZE = 5_000
assert DEFAULT_QUEUE_SIZE >= BATCH_SIZE, "the default queue must hold one batch"
_MAX_RETRIES = 5
_SIDE_SUFFIX = "-counters.json"

_MAP_GUARD = Guard("writer.map")
_COMMIT_GUARD = Guard("writer.commit")
_LISTENER_GUARD = Guard("writer.listener")


class WriterStore(Protocol):
    """What the writer needs from a store."""

    def write_batch(
        self, rows: Sequence[tuple[Any, ...]], ends: Sequence[tuple[str, str, float]] = ()
    ) -> None:
        """Insert event rows and apply session ends atomically."""
        ...

    def add_counter(self, name: str, delta: int) -> None:
        """Add ``delta`` to a persistent counter."""
        ...


@dataclass(frozen=True, slots=True)
class ForeignSpan:
    """A span from another instrumentation (an LLM client) claimed by one of our sessions."""

    span: ReadableSpan
    session_id: str


@dataclass(frozen=True, slots=True)
class SessionEndItem:
    """A session end recorded without a root span (the sampler dropped it)."""

    session_id: str
    status: str
    ended_at: float


WriterItem = LiteSpan | ReadableSpan | ForeignSpan | SessionEndItem


def drop_cause(exc: BaseException) -> str:
    """The counter suffix naming why a commit failed: disk_full, read_only or io_error."""
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in text or getattr(exc, "errno", None) == 28:
        return "disk_full"
    if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        return "read_only"
    return "io_error"


def _side_paths(store_path: str | os.PathLike[str]) -> list[Path]:
    """Where counts go when the store cannot take them: next to it, else (read-only folder) the temp folder."""
    digest = hashlib.sha256(str(Path(store_path).resolve()).encode()).hexdigest()[:16]
    return [
        Path(f"{store_path}{_SIDE_SUFFIX}"),
        Path(tempfile.gettempdir()) / f"sessionoptimizer-{digest}{_SIDE_SUFFIX}",
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


class _StoreSink:
    """Maps a batch of writer items to rows and commits them; counts what it loses, by cause."""

    def __init__(self, writer: BatchWriter) -> None:
        self._writer = writer

    def export(self, batch: Sequence[WriterItem], /) -> int:
        rows: list[tuple[Any, ...]] = []
        ends: list[tuple[str, str, float]] = []
        rejected = 0
        for item in batch:
            try:
                _map(item, rows, ends)
            except Exception as exc:  # one bad item: counted, the rest of the batch goes on
                rejected += 1
                with _MAP_GUARD:
                    raise exc
        writer = self._writer
        if rejected:
            writer._count("rejected_malformed", rejected)
        if not rows and not ends:
            return rejected
        for attempt in range(_MAX_RETRIES):
            try:
                store = writer._open_store()
                store.write_batch(rows, ends)
                break
            except Exception as exc:
                if attempt == _MAX_RETRIES - 1:
                    writer.failed_batches += 1
                    writer._count(f"dropped_{drop_cause(exc)}", len(rows) + len(ends))
                    writer._write_side_file()  # survives even if the store stays unwritable and we exit
                    with _COMMIT_GUARD:
                        raise exc
                    return rejected + len(rows) + len(ends)
                time.sleep(min(0.05 * 2**attempt, 1.0))
        writer.written += len(rows)
        writer._persist_counters(store)
        if writer._listeners:
            touched = {row[1] for row in rows}
            ended = [sid for sid, _, _ in ends]
            for listener in writer._listeners:
                with _LISTENER_GUARD:
                    listener(touched, ended)
        return rejected


def _map(item: WriterItem, rows: list[tuple[Any, ...]], ends: list[tuple[str, str, float]]) -> None:
    if isinstance(item, LiteSpan | ReadableSpan):
        if (item.attributes or {}).get(c.SO_KIND) == c.KIND_SESSION:
            end = session_end_from_span(item)
            if end is not None:
                ends.append(end)
            return
        row = event_row_from_span(item)
    elif isinstance(item, ForeignSpan):
        row = event_row_from_span(item.span, item.session_id)
    elif isinstance(item, SessionEndItem):
        ends.append((item.session_id, item.status, item.ended_at))
        return
    else:
        raise TypeError(f"the writer cannot store a {type(item).__name__}")
    if row is not None:
        rows.append(row)


class BatchWriter:
    """Batches queued spans into a store on one background worker; drop counts persisted for ``doctor``."""

    def __init__(
        self,
        store_factory: Callable[[], WriterStore],
        *,
        flush_interval: float = 0.2,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        block_timeout: float = 5.0,
    ) -> None:
        self._store_factory = store_factory
        self._store: WriterStore | None = None
        self._listeners: list[CommitListener] = []
        self.written = 0
        self.failed_batches = 0
        self._unpersisted: dict[str, int] = {}
        self._side_pending = False
        self._worker: BatchWorker[WriterItem] = BatchWorker(
            _StoreSink(self),
            name="sessionoptimizer-writer",
            batch_size=BATCH_SIZE,
            queue_size=queue_size,
            interval=flush_interval,
            block_timeout=block_timeout,
            on_drop=self._on_drop,
        )
        self.put = self._worker.put  # the hot path: one bound-method call, no wrapper

    def write_through(self) -> None:
        """From now on ``put`` returns only once its item is committed (for processes that may die any moment)."""
        worker = self._worker

        def put_and_flush(item: WriterItem) -> bool:
            return worker.put(item) and worker.flush(worker.block_timeout + 10.0)

        self.put = put_and_flush

    def add_listener(self, listener: CommitListener) -> None:
        """Register a callback run on the writer thread after each commit."""
        self._listeners.append(listener)

    @property
    def pending(self) -> int:
        """Items waiting to be written."""
        return self._worker.pending

    @property
    def dropped(self) -> int:
        """Items lost in this process, whatever the cause."""
        return self._worker.lost

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until everything queued so far is committed; False on timeout or if any of it was lost."""
        return self._worker.flush(timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Flush and stop the thread (idempotent); counts still unwritten go to the side file."""
        ok = self._worker.close(timeout)
        if self._unpersisted and self._store is None:
            with _COMMIT_GUARD:
                self._open_store()
        self._write_side_file()
        return ok

    # --- counters ----------------------------------------------------------------------------------
    def _on_drop(self, n: int, cause: str) -> None:
        if cause != "sink":  # the sink counts its own losses by cause
            self._count(f"dropped_{cause}", n)

    def _count(self, name: str, n: int) -> None:
        first = not self._unpersisted
        self._unpersisted[name] = self._unpersisted.get(name, 0) + n
        if name.startswith("dropped_"):
            self._unpersisted["dropped_events"] = self._unpersisted.get("dropped_events", 0) + n
        if first:
            _log.warning("events lost (counted; see `sessionoptimizer doctor`)", cause=name, count=n)

    def _open_store(self) -> WriterStore:
        store = self._store
        if store is None:
            store = self._store = self._store_factory()
            self._side_pending = True  # a previous process may have left counts beside the store
        return store

    def _persist_counters(self, store: WriterStore) -> None:
        """Write pending counters (and internal errors) with a store that just accepted a batch."""
        if self._side_pending:
            self._absorb_side_files()
        if not self._unpersisted and not internal_errors_pending():
            return
        counts, self._unpersisted = self._unpersisted, {}
        errors = take_unpersisted_errors()
        if errors:
            counts["internal_errors"] = counts.get("internal_errors", 0) + errors
        try:
            for name, n in counts.items():
                store.add_counter(name, n)
        except Exception:
            for name, n in counts.items():
                if name != "internal_errors":
                    self._unpersisted[name] = self._unpersisted.get(name, 0) + n
            restore_unpersisted_errors(errors)

    def _store_path(self) -> str | None:
        path = getattr(self._store, "path", None)
        return str(path) if path is not None else None

    def _absorb_side_files(self) -> None:
        self._side_pending = False
        path = self._store_path()
        if path is None:
            return
        for side in _side_paths(path):
            counts = side_file_counters_of(side)
            if not counts:
                continue
            try:
                side.unlink()
            except OSError:
                continue  # cannot remove it: leave the counts there rather than count them twice
            for name, n in counts.items():
                self._unpersisted[name] = self._unpersisted.get(name, 0) + n

    def _write_side_file(self) -> None:
        """Move the pending counts into a side file (merged with one already there); kept in memory on failure."""
        path = self._store_path()
        if path is None or not self._unpersisted:
            return
        for side in _side_paths(path):
            counts = side_file_counters_of(side)
            for name, n in self._unpersisted.items():
                counts[name] = counts.get(name, 0) + n
            try:
                fd = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "w") as fh:
                    json.dump(counts, fh)
            except OSError:
                continue
            self._unpersisted = {}
            self._side_pending = True
            return
        _log.error("lost-event counts could not be saved yet; kept in memory", counts=self._unpersisted)
