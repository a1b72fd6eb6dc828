"""The store writer: a :class:`BatchWorker` whose sink maps finished spans to rows and commits them in batches.

Producers (span processor ``on_end``) only queue typed items. Each item is mapped under its own guard, so one
malformed span never costs the batch behind it. A failed commit is retried with backoff; every lost item is
counted by cause (queue full, disk full, read-only store, I/O error, malformed) and persisted for ``doctor``:
with the next successful batch, or, when the store cannot be written at all, in a side file next to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.sdk.trace import ReadableSpan

from .. import conventions as c
from .._internal.log import get_logger
from .._internal.safety import Guard
from .._internal.worker import BatchWorker
from ..config import DEFAULT_QUEUE_SIZE
from ._losses import LossLedger, drop_cause
from .lite import LiteSpan
from .mapping import event_row_from_span, session_end_from_span

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_QUEUE_SIZE",
    "BatchWriter",
    "CommitListener",
    "CommittedRows",
    "ForeignSpan",
    "SessionEndItem",
    "WriterItem",
    "WriterStore",
]

_log = get_logger("sessionoptimizer.writer")


@dataclass(frozen=True, slots=True)
class CommittedRows:
    """Event rows one commit stored (store column order, as mapped), the first with ``seq`` ``first_seq``.

    Row ``i`` got ``seq`` ``first_seq + i``: the live analysis feeds them without reading them back. Handed over
    only when the store said so (every row new, consecutive ``seq``s); never kept by the writer.
    """

    rows: Sequence[tuple[Any, ...]]
    first_seq: int


#: Called on the writer thread after each commit with (sessions that got events, sessions that ended, the rows
#: committed with their ``seq``s, or None when the store could not tell which ``seq``s they got).
CommitListener = Callable[[set[str], list[str], CommittedRows | None], None]

BATCH_SIZE = 5_000
assert DEFAULT_QUEUE_SIZE >= BATCH_SIZE, "the default queue must hold one batch"
_MAX_RETRIES = 5

_MAP_GUARD = Guard("writer.map")
_COMMIT_GUARD = Guard("writer.commit")
_LISTENER_GUARD = Guard("writer.listener")


class WriterStore(Protocol):
    """What the writer needs from a store."""

    def write_batch(
        self,
        rows: Sequence[tuple[Any, ...]],
        ends: Sequence[tuple[str, str, float]] = (),
        *,
        seqs: bool = False,
    ) -> int | None:
        """Insert event rows and apply session ends atomically (``seqs``: the first row's ``seq``, if known)."""
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
            writer._losses.count("rejected_malformed", rejected)
        if not rows and not ends:
            return rejected
        for attempt in range(_MAX_RETRIES):
            try:
                store = writer._open_store()
                # the seqs only for commit listeners (the live analysis): one more query on PostgreSQL
                if writer._listeners:
                    first_seq = store.write_batch(rows, ends, seqs=True)
                else:
                    first_seq = store.write_batch(rows, ends)
                break
            except Exception as exc:
                if attempt == _MAX_RETRIES - 1:
                    writer.failed_batches += 1
                    writer._losses.count(f"dropped_{drop_cause(exc)}", len(rows) + len(ends))
                    writer._losses.save_aside(writer._store_path())  # survives if we exit before a repair
                    with _COMMIT_GUARD:
                        raise exc
                    return rejected + len(rows) + len(ends)
                time.sleep(min(0.05 * 2**attempt, 1.0))
        writer.written += len(rows)
        writer._losses.persist(store, writer._store_path())
        if writer._listeners:
            touched = {row[1] for row in rows}
            ended = [sid for sid, _, _ in ends]
            committed = CommittedRows(rows, first_seq) if rows and type(first_seq) is int else None
            for listener in writer._listeners:
                with _LISTENER_GUARD:
                    listener(touched, ended, committed)
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
    if row is None:  # one of our spans without a usable session or event type: counted, not dropped silently
        raise ValueError("span without a usable session id or event type")
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
        self._losses = LossLedger()
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
            return worker.put(item) and worker.flush(worker.block_timeout + 10.0, report=False)

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

    def flush(self, timeout: float | None = 10.0, *, report: bool = False) -> bool:
        """Block until everything queued so far is committed; False on timeout or if anything was lost.

        Losses count since the last flush with ``report=True``: only the flushes whose answer reaches the user
        (``SessionOptimizer.flush``, the OTel ``force_flush``) pass it, so the SDK's own flushes (at a session's
        end, before an analysis) never swallow a loss the user's next flush must answer for.
        """
        return self._worker.flush(timeout, report=report)

    def close(self, timeout: float = 10.0) -> bool:
        """Flush and stop the thread (idempotent); counts still unwritten go to the side file."""
        ok = self._worker.close(timeout)
        if self._losses.pending and self._store is None:
            with _COMMIT_GUARD:
                self._open_store()
        self._losses.save_aside(self._store_path())
        return ok

    # --- store and counters -------------------------------------------------------------------------
    def _on_drop(self, n: int, cause: str) -> None:
        if cause != "sink":  # the sink counts its own losses by cause
            self._losses.count(f"dropped_{cause}", n)

    def _open_store(self) -> WriterStore:
        store = self._store
        if store is None:
            store = self._store = self._store_factory()
            self._losses.absorb_pending = True  # a previous process may have left counts beside the store
        return store

    def _store_path(self) -> str | None:
        path = getattr(self._store, "path", None)
        return str(path) if path is not None else None
