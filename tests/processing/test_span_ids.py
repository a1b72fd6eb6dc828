"""Our span ids (the stored events' keys): unique, non-zero, time-ordered, deaf to ``random.seed``, new after fork."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk._internal import randomids
from sessionoptimizer_sdk._internal.randomids import new_span_id, new_trace_id
from sessionoptimizer_sdk.processing.provider import PrivateIdGenerator
from tests._paths import REPO_ROOT

TAG = (1 << 32) - 1  # the low 32 bits: the process tag (docs/decisions/event-key.md)


def _tick(ns: int) -> int:
    """The 134.2 ms tick since 2026-01-01 UTC, computed from the calendar rather than the module's constant."""
    epoch_ns = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
    return (ns - epoch_ns) // 2**27


def test_one_process_ids_are_unique_increasing_non_zero_64_bit() -> None:
    """200,000 ids in a row are distinct, each greater than the last, non-zero and within 64 bits (W3C valid)."""
    ids = [new_span_id() for _ in range(200_000)]
    assert all(0 < a < b < 2**64 for a, b in itertools.pairwise(ids))
    assert len({i & TAG for i in ids}) == 1  # one process, one tag: the counter alone tells them apart


def test_threads_drawing_at_once_never_share_an_id() -> None:
    """Eight threads drawing 25,000 ids each at the same time get 200,000 distinct ids."""
    out: list[list[int]] = [[] for _ in range(8)]
    go = threading.Barrier(8)

    def draw(slot: list[int]) -> None:
        go.wait()
        slot.extend(new_span_id() for _ in range(25_000))

    threads = [threading.Thread(target=draw, args=(slot,)) for slot in out]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({i for slot in out for i in slot}) == 200_000


def test_a_fresh_process_starts_its_ids_at_the_current_tick() -> None:
    """A new process's first span id carries the 134 ms tick of its start in its high 32 bits (ids order by time)."""
    code = (
        "import time; t0 = time.time_ns()\n"
        "from sessionoptimizer_sdk._internal.randomids import new_span_id\n"
        "i = new_span_id(); print(t0, i, time.time_ns())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    before, span_id, after = (int(x) for x in proc.stdout.split())
    assert _tick(before) <= span_id >> 32 <= _tick(after)
    assert span_id & TAG != 0


def test_host_seeding_random_does_not_repeat_ids() -> None:
    """``random.seed(0)`` before each draw repeats nothing: span and trace ids (ours and the provider's) differ."""
    generator = PrivateIdGenerator()
    drawn = []
    for _ in range(3):
        random.seed(0)
        drawn.append(
            (new_span_id(), new_trace_id(), generator.generate_span_id(), generator.generate_trace_id())
        )
    for column in zip(*drawn, strict=True):
        assert len(set(column)) == 3 and all(column)


def test_forked_child_never_repeats_the_parents_ids(tmp_path: Path) -> None:
    """A forked child draws ids with a new tag, after the parent's; parent and child ids never meet."""
    before = [new_span_id() for _ in range(1_000)]
    out = tmp_path / "child"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's report is checked by the parent
        code = 1
        try:
            out.write_text(" ".join(str(new_span_id()) for _ in range(1_000)))
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    child = [int(x) for x in out.read_text().split()]
    after = [new_span_id() for _ in range(1_000)]
    assert len(set(before) | set(child) | set(after)) == 3_000
    assert {i & TAG for i in child} != {i & TAG for i in before} == {i & TAG for i in after}
    assert min(child) >> 32 > max(before) >> 32  # the child's counter continues past the parent's


def test_a_session_stores_its_events_under_increasing_ids(home: Path) -> None:
    """Events recorded through the SDK (fast path) get ids that grow in recording order, so the key only appends."""
    opt = SessionOptimizer(home)
    try:
        tool = opt.tool(lambda x: x)
        with opt.session("ORDER", "ordered ids") as s:
            for i in range(300):
                tool(i)
        events = opt.get_events(s.id)
        assert len(events) == 300
        by_seq = sorted(events, key=lambda e: e.seq or 0)
        assert [e.id for e in by_seq] == sorted(e.id for e in events)
    finally:
        opt.shutdown()


def test_private_provider_with_an_exporter_uses_our_ids(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With an exporter configured (SDK spans, not the fast path) a seeded host still gets distinct ordered ids."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    opt = SessionOptimizer(home)
    try:
        assert isinstance(opt._recorder.provider.id_generator, PrivateIdGenerator)
        tool = opt.tool(lambda x: x)
        with opt.session("SEEDED", "exporting") as s:
            for i in range(5):
                random.seed(7)
                tool(i)
        ids = [e.id for e in sorted(opt.get_events(s.id), key=lambda e: e.seq or 0)]
        assert len(ids) == 5 and ids == sorted(set(ids))
    finally:
        opt.shutdown()


def test_ids_keep_growing_while_the_clock_stands_still(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frozen (or stepped-back) wall clock does not repeat ids: the counter, not the clock, makes them unique."""
    monkeypatch.setattr(time, "time_ns", lambda: 0)
    ids = [new_span_id() for _ in range(1_000)]
    assert len(set(ids)) == 1_000 and ids == sorted(ids)


def test_a_spent_counter_switches_to_a_new_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the 32-bit counter runs out the ids go on under a new tag from zero: none repeats, none is zero."""
    tag = new_span_id() & TAG  # this process's current tag
    monkeypatch.setattr(randomids._IDS, "ids", itertools.count((2**32 - 2) << 32 | tag, 1 << 32))
    ids = [new_span_id() for _ in range(4)]
    assert ids[:2] == [(2**32 - 2) << 32 | tag, (2**32 - 1) << 32 | tag]
    new_tag = ids[2] & TAG
    assert new_tag not in (0, tag) and ids[2:] == [new_tag, 1 << 32 | new_tag]
