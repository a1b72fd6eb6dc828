"""The background writer: a bounded queue drained in batches into the store by one thread per process.

Producers (span processor ``on_end``) only append to a deque: no lock, no I/O. The writer wakes every
``flush_interval`` (or sooner when the queue fills), maps spans to rows, and commits them in one transaction.
A full queue applies back-pressure (the producer waits up to ``block_timeout``); only then is an item dropped,
and every drop is counted and persisted for ``doctor``. A failed batch is retried with backoff.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from .. import conventions as c
from .._internal.log import get_logger
from .._internal.safety import handle_internal_errors
from .lite import LiteSpan
from .mapping import event_row_from_span, session_end_from_span

__all__ = ["BatchWriter", "CommitListener"]

_log = get_logger("sessionoptimizer.writer")

#: Called on the writer thread after each commit with (sessions that got events, sessions that ended).
CommitListener = Callable[[set[str], list[str]], None]

BATCH_SIZE = 5_000
_MAX_RETRIES = 5


class _Marker:
    """A flush request: set once the writer has committed everything queued before it."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class BatchWriter:
    """Batches queued spans/rows into a store; owns one daemon thread, restarted lazily after fork."""

    def __init__(
        self,
        store_factory: Callable[[], Any],
        *,
        flush_interval: float = 0.2,
        queue_size: int = 100_000,
        block_timeout: float = 5.0,
    ) -> None:
        self._store_factory = store_factory
        self._flush_interval = flush_interval
        self._queue_size = queue_size
        self._block_timeout = block_timeout
        self._listeners: list[CommitListener] = []
        self.dropped = 0
        self.written = 0
        self.failed_batches = 0
        self._init_state()
        ref = weakref.ref(self)

        def reinit_in_child() -> None:
            writer = ref()
            if writer is not None:
                writer._init_state()

        os.register_at_fork(after_in_child=reinit_in_child)

    def _init_state(self) -> None:
        self._queue: deque[Any] = deque()
        self._wake = threading.Event()
        self._space = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._store: Any = None
        self._unpersisted_drops = 0

    def add_listener(self, listener: CommitListener) -> None:
        """Register a callback run on the writer thread after each commit."""
        self._listeners.append(listener)

    @property
    def pending(self) -> int:
        """Items waiting to be written."""
        return len(self._queue)

    # --- producer side (host threads) -----------------------------------------------------------
    def put(self, item: Any) -> None:
        """Queue a span or op; applies back-pressure when full, counts a drop only after block_timeout."""
        if self._closed:
            self._drop(1)
            return
        queue = self._queue
        if len(queue) >= self._queue_size and not self._wait_for_space():
            self._drop(1)
            return
        queue.append(item)
        if self._thread is None:
            self._start()
        elif len(queue) >= BATCH_SIZE and not self._wake.is_set():  # is_set takes no lock; set does
            self._wake.set()

    def _wait_for_space(self) -> bool:
        self._wake.set()
        deadline = time.monotonic() + self._block_timeout
        with self._space:
            while len(self._queue) >= self._queue_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._space.wait(min(remaining, 0.05))
                self._wake.set()
        return True

    def _drop(self, n: int) -> None:
        self.dropped += n
        self._unpersisted_drops += n
        if self.dropped == n:
            _log.warning("event queue full: dropping events (counted; see `sessionoptimizer doctor`)")

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until everything queued so far is committed; False on timeout."""
        if self._thread is None and not self._queue:
            return True
        if self._closed:
            thread = self._thread
            if thread is None or not thread.is_alive():
                while self._queue:  # the writer has stopped: write what is left on the caller's thread
                    self._drain_once()
                return True
        marker = _Marker()
        self._queue.append(marker)
        if self._thread is None:
            self._start()
        self._wake.set()
        return marker.done.wait(timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Flush and stop the thread (idempotent)."""
        ok = self.flush(timeout)
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return ok

    # --- writer thread ----------------------------------------------------------------------------
    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sessionoptimizer-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            while self._queue:
                self._drain_once()
            if self._closed and not self._queue:
                return

    def _drain_once(self) -> None:
        queue = self._queue
        items: list[Any] = []
        markers: list[_Marker] = []
        while queue and len(items) < BATCH_SIZE:
            item = queue.popleft()
            if isinstance(item, _Marker):
                markers.append(item)
                break  # commit what precedes the marker, then release it
            items.append(item)
        with self._space:
            self._space.notify_all()
        if items:
            self._write(items)
        for marker in markers:
            marker.done.set()

    def _write(self, items: Sequence[Any]) -> None:
        rows: list[tuple[Any, ...]] = []
        ends: list[tuple[str, str, float]] = []
        with handle_internal_errors("writer.map"):
            for item in items:
                self._map(item, rows, ends)
        for attempt in range(_MAX_RETRIES):
            try:
                store = self._store or self._store_factory()
                self._store = store
                store.write_batch(rows, ends)
                if self._unpersisted_drops:
                    drops, self._unpersisted_drops = self._unpersisted_drops, 0
                    store.add_counter("dropped_events", drops)
                break
            except Exception as exc:
                if attempt == _MAX_RETRIES - 1:
                    self.failed_batches += 1
                    self._drop(len(rows))
                    with handle_internal_errors("writer.commit"):
                        raise exc
                    return
                time.sleep(min(0.05 * 2**attempt, 1.0))
        self.written += len(rows)
        if self._listeners:
            touched = {row[1] for row in rows}
            ended = [sid for sid, _, _ in ends]
            for listener in self._listeners:
                with handle_internal_errors("writer.listener"):
                    listener(touched, ended)

    @staticmethod
    def _map(item: Any, rows: list[tuple[Any, ...]], ends: list[tuple[str, str, float]]) -> None:
        if isinstance(item, LiteSpan | ReadableSpan):
            kind = (item.attributes or {}).get(c.SO_KIND)
            if kind == c.KIND_SESSION:
                end = session_end_from_span(item)
                if end is not None:
                    ends.append(end)
                return
            row = event_row_from_span(item)
            if row is not None:
                rows.append(row)
            return
        tag, payload = item[0], item[1]
        if tag == "row":
            rows.append(payload)
        elif tag == "end":
            ends.append(payload)
        elif tag == "foreign":
            row = event_row_from_span(payload, item[2])
            if row is not None:
                rows.append(row)
