"""The generic bounded-queue worker on its own, as opentelemetry-python tests its BatchProcessor."""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, get_value

from sessionoptimizer_sdk._internal.worker import BatchWorker
from sessionoptimizer_sdk.processing._losses import drop_cause
from sessionoptimizer_sdk.processing._writer import BatchWriter
from sessionoptimizer_sdk.store.sqlite import SQLiteStore


class _Sink:
    """Records every batch; optionally holds the first export until released."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.hold = hold
        self.entered = threading.Event()
        self.suppressed: list[object] = []

    def export(self, batch: Sequence[int], /) -> int:
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(10)
        self.suppressed.append(get_value(_SUPPRESS_INSTRUMENTATION_KEY))
        self.batches.append(list(batch))
        return 0

    @property
    def items(self) -> list[int]:
        return [i for b in self.batches for i in b]


def _wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_wakes_on_a_full_batch_before_the_interval() -> None:
    """Ten items with batch_size 10 are exported at once, though the interval is a minute."""
    sink = _Sink()
    worker: BatchWorker[int] = BatchWorker(sink, name="t", batch_size=10, queue_size=100, interval=60)
    for i in range(10):
        worker.put(i)
    assert _wait_for(lambda: sink.items == list(range(10)))
    worker.close(5)


def test_wakes_on_the_interval_with_a_partial_batch() -> None:
    """Three items, far from a batch, are exported by the next interval wake without a flush."""
    sink = _Sink()
    worker: BatchWorker[int] = BatchWorker(sink, name="t", batch_size=1000, queue_size=2000, interval=0.05)
    for i in range(3):
        worker.put(i)
    assert _wait_for(lambda: sink.items == [0, 1, 2])
    assert sink.suppressed == [True]  # our thread runs with instrumentation suppressed
    worker.close(5)


def test_full_queue_blocks_then_drops_after_the_timeout() -> None:
    """With the sink stuck and the queue full, put waits block_timeout, then drops and counts one item."""
    hold = threading.Event()
    sink = _Sink(hold)
    drops: list[tuple[int, str]] = []
    worker: BatchWorker[int] = BatchWorker(
        sink,
        name="t",
        batch_size=1,
        queue_size=2,
        interval=0.01,
        block_timeout=0.3,
        on_drop=lambda n, cause: drops.append((n, cause)),
    )
    worker.put(0)
    assert sink.entered.wait(5)  # item 0 is in the sink, which is stuck
    assert worker.put(1) and worker.put(2)  # the queue (2) is now full
    started = time.monotonic()
    assert worker.put(3) is False
    assert time.monotonic() - started >= 0.3
    assert worker.dropped == 1 and drops == [(1, "queue_full")]
    hold.set()
    assert worker.flush(5) is False  # an item queued before this flush was lost
    assert sink.items == [0, 1, 2]
    assert worker.flush(5) is True  # nothing lost since the last flush
    worker.close(5)


def test_blocked_producer_proceeds_when_space_frees() -> None:
    """A producer blocked on a full queue continues (nothing dropped) once the sink drains it."""
    hold = threading.Event()
    sink = _Sink(hold)
    worker: BatchWorker[int] = BatchWorker(
        sink, name="t", batch_size=1, queue_size=1, interval=0.01, block_timeout=5
    )
    worker.put(0)
    assert sink.entered.wait(5)
    worker.put(1)
    threading.Timer(0.2, hold.set).start()
    assert worker.put(2) is True
    assert worker.flush(5) is True
    assert sink.items == [0, 1, 2] and worker.dropped == 0
    worker.close(5)


def test_flush_waits_for_what_was_queued_before_it_in_order() -> None:
    """A flush returns after every earlier item was exported, in queue order, with batches split at the marker."""
    sink = _Sink()
    worker: BatchWorker[int] = BatchWorker(sink, name="t", batch_size=100, queue_size=1000, interval=60)
    for i in range(5):
        worker.put(i)
    assert worker.flush(5) is True
    assert sink.items == [0, 1, 2, 3, 4]
    worker.put(5)
    worker.put(6)
    assert worker.flush(5) is True
    assert sink.batches == [[0, 1, 2, 3, 4], [5, 6]]
    worker.close(5)


def test_close_drains_the_queue_then_drops_new_items() -> None:
    """Closing exports everything queued (even with a long interval); a put after close is dropped and counted."""
    sink = _Sink()
    worker: BatchWorker[int] = BatchWorker(sink, name="t", batch_size=1000, queue_size=1000, interval=60)
    for i in range(100):
        worker.put(i)
    assert worker.close(5) is True
    assert sink.items == list(range(100))
    assert worker.put(100) is False and worker.dropped == 1


def test_drop_counts_are_persisted_in_the_store(tmp_path: Path) -> None:
    """Events dropped on a full queue are written to the store's counters with the next successful batch."""
    store = SQLiteStore(tmp_path / "s.db")
    hold = threading.Event()
    real_write = store.write_batch

    def slow_write(rows: Sequence[tuple[Any, ...]], ends: Sequence[tuple[str, str, float]] = ()) -> None:
        hold.wait(10)
        real_write(rows, ends)

    store.write_batch = slow_write  # type: ignore[method-assign, assignment]
    writer = BatchWriter(lambda: store, queue_size=1, block_timeout=0, flush_interval=0.01)
    from sessionoptimizer_sdk.processing._writer import SessionEndItem

    writer.put(SessionEndItem("s1", "COMPLETED", 1.0))
    assert _wait_for(lambda: writer.pending == 0)  # taken by the thread, stuck in write_batch
    writer.put(SessionEndItem("s2", "COMPLETED", 1.0))  # fills the queue
    writer.put(SessionEndItem("s3", "COMPLETED", 1.0))  # dropped
    writer.put(SessionEndItem("s4", "COMPLETED", 1.0))  # dropped
    hold.set()
    assert writer.flush(5) is False
    writer.close(5)
    counters = store.counters()
    assert counters["dropped_queue_full"] == 2 and counters["dropped_events"] == 2


def _child_after_fork(worker: BatchWorker[int] | None, sink: _Sink | None, out: Path) -> None:
    code = 1
    try:
        if worker is not None and sink is not None:
            sink.hold = None  # the child's copy of the sink must not wait for the parent's event
            assert worker.pending == 0  # the parent's queue is not the child's
            worker.put(7)
            assert worker.flush(5)
        child_sink = _Sink()
        fresh: BatchWorker[int] = BatchWorker(child_sink, name="c", batch_size=10, queue_size=10)
        fresh.put(1)
        assert fresh.flush(5) and child_sink.items == [1]
        out.write_text("ok")
        code = 0
    finally:
        os._exit(code)


def test_forked_child_gets_a_fresh_worker(tmp_path: Path) -> None:
    """After fork the child's worker starts empty with its own thread; the parent's queue stays the parent's."""
    hold = threading.Event()
    sink = _Sink(hold)
    worker: BatchWorker[int] = BatchWorker(sink, name="t", batch_size=1, queue_size=10, interval=0.01)
    worker.put(0)
    assert sink.entered.wait(5)
    worker.put(1)  # queued in the parent while its thread is busy
    out = tmp_path / "child"
    pid = os.fork()
    if pid == 0:
        _child_after_fork(worker, sink, out)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and out.read_text() == "ok"
    hold.set()
    assert worker.flush(5)
    assert sink.items == [0, 1]  # the child's 7 went to the child's copy of the sink, not here
    worker.close(5)


def test_fork_after_the_worker_was_garbage_collected(tmp_path: Path) -> None:
    """A worker collected before a fork leaves nothing behind that breaks the child."""
    sink = _Sink()
    worker: BatchWorker[int] | None = BatchWorker(sink, name="t", batch_size=1, queue_size=10)
    assert worker is not None
    worker.put(0)
    assert worker.close(5)
    del worker
    gc.collect()
    out = tmp_path / "child"
    pid = os.fork()
    if pid == 0:
        _child_after_fork(None, None, out)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and out.read_text() == "ok"


def test_a_sink_that_raises_loses_its_batch_but_not_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A faulty sink's batch is counted as lost (flush says False); the next batch is still exported."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")
    good = _Sink()
    calls = [0]

    class Flaky:
        def export(self, batch: Sequence[int], /) -> int:
            calls[0] += 1
            if calls[0] == 1:
                raise RuntimeError("sink broke")
            return good.export(batch)

    worker: BatchWorker[int] = BatchWorker(Flaky(), name="t", batch_size=10, queue_size=10, interval=60)
    worker.put(1)
    assert worker.flush(5) is False and worker.lost == 1
    worker.put(2)
    assert worker.flush(5) is True and good.items == [2]
    worker.close(5)


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (sqlite3.OperationalError("database or disk is full"), "disk_full"),
        (OSError(28, "No space left on device"), "disk_full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read_only"),
        (RuntimeError("cannot execute INSERT in a read-only transaction"), "read_only"),
        (sqlite3.OperationalError("disk I/O error"), "io_error"),
    ],
)
def test_commit_failures_are_named_by_cause(error: BaseException, cause: str) -> None:
    """A failed commit is counted under the cause doctor names: disk full, read-only store or I/O error."""
    assert drop_cause(error) == cause
