"""One bounded-queue background worker and its sink, shared by the store writer, the analysis runner and alerts.

Like OpenTelemetry's ``BatchProcessor``/``Exporter`` pair: producers only append to a deque (no lock, no I/O);
one daemon thread per process wakes every ``interval`` (or at once when ``batch_size`` items wait) and hands
batches to the :class:`Sink`. A full queue blocks the producer up to ``block_timeout``, then drops (counted).
Flush markers are queued in order; the thread runs with OpenTelemetry instrumentation suppressed; the worker
resets itself in a forked child (the parent's thread, queue and locks do not survive a fork).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value

from .safety import Guard

__all__ = ["BatchWorker", "DropListener", "Sink", "suppressed_thread"]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

#: Called (on the thread that dropped) with (number of items, cause) whenever items are lost.
DropListener = Callable[[int, str], None]

_BLOCKED = {signal.SIGTERM, signal.SIGINT}
_SINK_GUARD = Guard("worker.sink")
QUEUE_FULL = "queue_full"
CLOSED = "closed"


class Sink(Protocol[T_contra]):
    """Receives the worker's batches on its thread; returns how many items of the batch were lost."""

    def export(self, batch: Sequence[T_contra], /) -> int:
        """Handle one batch (never empty); the count of items that could not be handled, 0 normally."""
        ...


class _Marker:
    """A flush request: released once everything queued before it was handed to the sink."""

    __slots__ = ("done", "ok", "report")

    def __init__(self, report: bool) -> None:
        self.done = threading.Event()
        self.ok = True
        self.report = report


def suppressed_thread(target: Callable[[], None], name: str) -> threading.Thread:
    """A daemon thread that runs ``target`` with OpenTelemetry instrumentation suppressed (our own I/O).

    It blocks SIGTERM and SIGINT, so the kernel delivers them to a thread that can run the handlers: one
    delivered here would leave a main thread blocked in a system call (a Pool worker's queue) waiting forever.
    """

    def run() -> None:
        if hasattr(signal, "pthread_sigmask"):  # POSIX only
            signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            target()
        finally:
            detach(token)

    return threading.Thread(target=run, name=name, daemon=True)


class BatchWorker(Generic[T]):
    """A bounded queue drained in batches into a sink by one lazily started daemon thread per process."""

    def __init__(
        self,
        sink: Sink[T],
        *,
        name: str,
        batch_size: int,
        queue_size: int,
        interval: float = 0.2,
        block_timeout: float = 5.0,
        on_drop: DropListener | None = None,
        on_wake: Callable[[], None] | None = None,
    ) -> None:
        if batch_size < 1 or queue_size < 1:
            raise ValueError("batch_size and queue_size must be >= 1")
        self._sink = sink
        self.name = name
        self.batch_size = min(batch_size, queue_size)  # a batch never waits for more than the queue holds
        self.queue_size = queue_size
        self.interval = interval
        self.block_timeout = block_timeout
        self.on_drop = on_drop
        self.on_wake = on_wake  # run on the thread after each wake's batches (deferred work)
        self.dropped = 0  # items that never reached the sink (queue full, closed)
        self.lost = 0  # every lost item: dropped here plus those the sink reported
        self._reset()
        ref = weakref.ref(self)

        def reset_in_child() -> None:
            worker = ref()
            if worker is not None:
                worker._reset()

        os.register_at_fork(after_in_child=reset_in_child)

    def _reset(self) -> None:
        """Fresh state: also run in a forked child, where the parent's thread and locks are gone."""
        self._queue: deque[T | _Marker] = deque()
        self._wake = threading.Event()
        self._space = threading.Condition()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._lost_seen = self.lost  # `lost` when the last flush marker was released

    @property
    def pending(self) -> int:
        """Items (and flush markers) waiting for the thread."""
        return len(self._queue)

    @property
    def closed(self) -> bool:
        """True once ``close`` began: new items are dropped."""
        return self._closed

    # --- producers --------------------------------------------------------------------------------
    def put(self, item: T) -> bool:
        """Queue ``item``; when full, wait up to ``block_timeout`` for space, then drop it (False)."""
        if self._closed:
            self._drop(1, CLOSED)
            return False
        queue = self._queue
        if len(queue) >= self.queue_size and not self._wait_for_space():
            self._drop(1, QUEUE_FULL)
            return False
        queue.append(item)
        if self._thread is None:
            self._start()
        elif len(queue) >= self.batch_size and not self._wake.is_set():  # is_set takes no lock; set does
            self._wake.set()
        return True

    def _wait_for_space(self) -> bool:
        self._wake.set()
        deadline = time.monotonic() + self.block_timeout
        with self._space:
            while len(self._queue) >= self.queue_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._space.wait(min(remaining, 0.05))
                self._wake.set()
        return True

    def _drop(self, n: int, cause: str) -> None:
        self.dropped += n
        self._lost(n, cause)

    def _lost(self, n: int, cause: str) -> None:
        self.lost += n
        if self.on_drop is not None:
            self.on_drop(n, cause)

    def flush(self, timeout: float | None = 10.0, *, report: bool = True) -> bool:
        """Wait until everything queued so far reached the sink; False on timeout or if anything was lost.

        "Lost" means since the last flush that reported (``report=True``, the default): a flush whose answer
        nobody shows (an internal one) passes ``report=False`` so the losses stay for the next reporting flush.
        """
        if (self._thread is None and not self._queue) or (self._closed and not self._alive()):
            while self._queue:  # no thread will come: hand what is left to the sink on the caller's thread
                self._drain_once()
            ok = self.lost == self._lost_seen
            if report:
                self._lost_seen = self.lost
            return ok
        marker = _Marker(report)
        self._queue.append(marker)
        if self._thread is None:
            self._start()
        self._wake.set()
        return marker.done.wait(timeout) and marker.ok

    def close(self, timeout: float = 10.0) -> bool:
        """Flush, then stop the thread within ``timeout`` (one deadline for both); idempotent."""
        deadline = time.monotonic() + timeout
        ok = self.flush(timeout)
        self._closed = True
        self._wake.set()
        with self._space:
            self._space.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        return ok

    def _alive(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # --- the thread ---------------------------------------------------------------------------------
    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                thread = suppressed_thread(self._run, self.name)
                self._thread = thread
                thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            while self._queue:
                self._drain_once()
            if self.on_wake is not None:
                with _SINK_GUARD:
                    self.on_wake()
            if self._closed and not self._queue:
                return

    def _drain_once(self) -> None:
        queue = self._queue
        items: list[T] = []
        marker: _Marker | None = None
        while queue and len(items) < self.batch_size:
            item = queue.popleft()
            if isinstance(item, _Marker):
                marker = item
                break  # hand over what precedes the marker, then release it
            items.append(item)
        with self._space:
            self._space.notify_all()
        if items:
            self._export(items)
        if marker is not None:
            marker.ok = self.lost == self._lost_seen
            if marker.report:
                self._lost_seen = self.lost
            marker.done.set()

    def _export(self, items: list[T]) -> None:
        try:
            lost = self._sink.export(items)
        except Exception as exc:  # a sink counts its own faults; one that raises loses its whole batch
            self._lost(len(items), "sink_error")
            _SINK_GUARD.record(exc)  # the thread goes on (re-raised in strict mode)
            return
        if lost:
            self._lost(lost, "sink")
