"""The event key ``(session_id, id)`` with our time-ordered span ids beside random imported ids, on both backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk._internal.randomids import new_span_id
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.store import Store, open_store
from sessionoptimizer_sdk.store._rows import event_to_row

T0 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store of the parametrized backend holding session ``s``."""
    opened = open_store(store_url, Settings.from_env())
    opened.create_session(
        Session(id="s", agent="A", task="t", model="m", status=SessionStatus.ACTIVE, started_at=T0)
    )
    yield opened
    opened.close()


def _event(event_id: str, i: int) -> SessionEvent:
    return SessionEvent(
        id=event_id,
        session_id="s",
        event_type=EventType.AI_RESPONSE,
        timestamp=T0 + timedelta(seconds=i),
        tokens_input=i + 1,
    )


def test_retries_and_duplicates_of_mixed_ids_leave_one_copy_each(store: Store) -> None:
    """Ordered SDK ids beside random imported ids: a retried batch and an overlapping one add nothing twice."""
    ours = [f"{new_span_id():016x}" for _ in range(60)]
    imported = [os.urandom(8).hex() for _ in range(40)]
    ids = [x for pair in zip(ours[:40], imported, strict=True) for x in pair] + ours[40:]
    rows = [event_to_row(_event(eid, i)) for i, eid in enumerate(ids)]
    store.write_batch(rows[:70])
    store.write_batch(rows[:70])  # the writer retrying a batch whose COMMIT it never saw acknowledged
    store.write_batch(rows[50:])  # an OTLP retry overlapping 20 stored rows, carrying 30 new ones
    assert store.insert_events([_event(eid, i) for i, eid in enumerate(imported)]) == 0  # a re-import
    session = store.get_session("s")
    assert session.event_count == 100 == store.count_events("s")
    assert session.tokens.input_tokens == sum(range(1, 101))  # each event's i + 1 counted once: 5,050
    assert sorted(e.id for e in store.get_events("s")) == sorted(ids)
