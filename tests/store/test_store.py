"""The store interface on both backends (SQLite file, PostgreSQL schema): same answers for the same calls."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import SessionAlreadyExists, SessionNotFound, StoreError
from sessionoptimizer_sdk.store import Store, open_store
from sessionoptimizer_sdk.store.pg_schema import SCHEMA_VERSION as PG_SCHEMA_VERSION
from sessionoptimizer_sdk.store.schema import SCHEMA_VERSION
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store of the parametrized backend."""
    opened = open_store(store_url, Settings.from_env())
    yield opened
    opened.close()


def _session(sid: str = "s1", agent: str = "FORGE", started: datetime = T0) -> Session:
    return Session(
        id=sid, agent=agent, task="t", model="opus", status=SessionStatus.ACTIVE, started_at=started
    )


def _event(
    i: int, sid: str = "s1", tokens: int = 10, etype: EventType = EventType.AI_RESPONSE
) -> SessionEvent:
    return SessionEvent(
        id=f"e{i}",
        session_id=sid,
        event_type=etype,
        timestamp=T0 + timedelta(seconds=i),
        tokens_input=tokens,
        tokens_output=2 * tokens,
        cache_read_tokens=3 * tokens,
    )


def test_open_store_selects_the_backend(store: Store, store_url: str) -> None:
    """The URL's scheme picks the backend, migrated to the current schema version."""
    assert store.backend == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
    expected = SCHEMA_VERSION if store.backend == "sqlite" else PG_SCHEMA_VERSION  # each backend's own
    assert store.info()["schema_version"] == expected == store.schema_version


def test_insert_events_is_idempotent_and_totals_follow(store: Store) -> None:
    """Inserting the same events twice stores them once; session totals are maintained by the database."""
    store.create_session(_session())
    events = [_event(i) for i in range(5)]
    assert store.insert_events(events) == 5
    assert store.insert_events(events) == 0
    session = store.get_session("s1")
    assert session.event_count == 5
    tokens = session.tokens
    assert (tokens.input_tokens, tokens.output_tokens, tokens.cache_read_tokens) == (50, 100, 150)
    assert session.last_event_at == T0 + timedelta(seconds=4)
    store.insert_events([_event(0, tokens=100)], replace=True)  # an import correcting a value
    assert store.get_session("s1").tokens.input_tokens == 140


def test_get_events_after_returns_only_rows_stored_since_in_insertion_order(store: Store) -> None:
    """Rows after a seen ``seq`` come back in insertion order, an older timestamp included; other sessions not."""
    store.create_session(_session())
    store.create_session(_session("s2"))
    store.insert_events([_event(5), _event(6)])
    seen = max(e.seq for e in store.get_events("s1"))
    store.insert_events([_event(9), _event(1), _event(7, sid="s2")])  # e1 is older than e5 but stored later
    new = store.get_events_after("s1", seen)
    assert [e.id for e in new] == ["e9", "e1"]
    assert all(e.seq > seen for e in new)
    assert [e.id for e in store.get_events_after("s1", 0)] == ["e5", "e6", "e9", "e1"]
    assert store.get_events_after("s1", max(e.seq for e in new)) == []


def test_get_events_after_reads_at_most_limit_rows_in_chunks(store: Store) -> None:
    """With ``limit``, new rows come back in chunks of at most that many, in insertion order, none skipped."""
    store.create_session(_session())
    store.insert_events([_event(i) for i in (4, 2, 0, 3, 1)])
    chunks, seen = [], 0
    while chunk := store.get_events_after("s1", seen, limit=2):
        chunks.append([e.id for e in chunk])
        seen = chunk[-1].seq
    assert chunks == [["e4", "e2"], ["e0", "e3"], ["e1"]]


def test_retried_write_batch_never_doubles(store: Store) -> None:
    """The writer retrying a whole batch (rows and session end) leaves each event and total counted once."""
    from sessionoptimizer_sdk.store._rows import event_to_row

    store.create_session(_session())
    rows = [
        event_to_row(_event(i, etype=EventType.ERROR if i == 1 else EventType.AI_RESPONSE)) for i in range(4)
    ]
    end = [("s1", "COMPLETED", (T0 + timedelta(minutes=1)).timestamp())]
    store.write_batch(rows, end)
    store.write_batch(rows, end)
    session = store.get_session("s1")
    assert (session.event_count, session.tokens.input_tokens) == (4, 40)
    assert session.status is SessionStatus.COMPLETED and session.ended_at == T0 + timedelta(minutes=1)
    assert store.count_events() == 4 and store.count_events("s1") == 4
    assert [e.id for e in store.get_events("s1")] == ["e0", "e1", "e2", "e3"]
    assert [e.id for e in store.get_events("s1", limit=2, offset=1)] == ["e1", "e2"]


def test_same_event_id_in_two_sessions_is_two_events(store: Store) -> None:
    """Event ids are unique per session only (hosts may seed their RNG identically)."""
    store.create_session(_session("a"))
    store.create_session(_session("b"))
    assert store.insert_events([_event(0, "a"), _event(0, "b")]) == 2
    assert store.get_session("a").event_count == store.get_session("b").event_count == 1


def test_list_filters_and_order(store: Store) -> None:
    """Sessions list newest first and filter by agent, status and time window."""
    for i, agent in enumerate(["FORGE", "ATLAS", "FORGE"]):
        store.create_session(_session(f"s{i}", agent, T0 + timedelta(hours=i)))
    assert store.end_session("s0", SessionStatus.COMPLETED, T0 + timedelta(minutes=5)) is True
    assert store.end_session("s0", SessionStatus.FAILED, T0 + timedelta(minutes=6)) is False  # already ended
    assert [s.id for s in store.list_sessions()] == ["s2", "s1", "s0"]
    assert [s.id for s in store.list_sessions(agent="FORGE")] == ["s2", "s0"]
    assert [s.id for s in store.list_sessions(status=SessionStatus.COMPLETED)] == ["s0"]
    assert [s.id for s in store.list_sessions(since=T0 + timedelta(minutes=30))] == ["s2", "s1"]
    assert [s.id for s in store.list_sessions(until=T0 + timedelta(minutes=30))] == ["s0"]
    assert [s.id for s in store.list_sessions(limit=1, offset=1)] == ["s1"]
    assert store.count_sessions(agent="FORGE") == 2


def test_list_subagents_finds_exactly_the_sessions_naming_the_parent(store: Store) -> None:
    """Subagents are the sessions whose metadata's parent_session_id is the parent, started since it, newest first."""
    from dataclasses import replace

    parent = "p_1%"  # LIKE's wildcards in the id match nothing by accident
    store.create_session(_session(parent, started=T0))
    named: dict[str, tuple[datetime, dict[str, Any]]] = {
        "before": (T0 - timedelta(seconds=1), {"parent_session_id": parent}),  # started before its parent
        "kid-a": (T0 + timedelta(minutes=1), {"parent_session_id": parent, "subagent": True}),
        "kid-b": (T0 + timedelta(minutes=2), {"parent_session_id": parent}),
        "at-start": (T0, {"parent_session_id": parent}),
        "other": (T0 + timedelta(minutes=3), {"parent_session_id": "p_1x"}),  # a LIKE of the id would match
        "number": (T0 + timedelta(minutes=4), {"parent_session_id": 1}),
        "nested": (
            T0 + timedelta(minutes=5),
            {"note": {"parent_session_id": parent}},
        ),  # not the top-level key
        "value": (T0 + timedelta(minutes=6), {"note": "parent_session_id", "x": parent}),
        "plain": (T0 + timedelta(minutes=7), {}),
    }
    for sid, (started, metadata) in named.items():
        store.create_session(replace(_session(sid, started=started), metadata=metadata))
    found = store.list_subagents(parent, since=T0)
    assert [s.id for s in found] == ["kid-b", "kid-a", "at-start"]
    assert found[1].metadata == {"parent_session_id": parent, "subagent": True}
    assert store.list_subagents(parent, since=T0 + timedelta(seconds=90)) == found[:1]
    assert store.list_subagents("p_1x", since=T0) == [store.get_session("other")]
    assert store.list_subagents("nobody", since=T0 - timedelta(days=1)) == []


def test_create_duplicate_and_missing_sessions(store: Store) -> None:
    """A taken id raises SessionAlreadyExists; an unknown id raises SessionNotFound or returns None."""
    store.create_session(_session())
    with pytest.raises(SessionAlreadyExists):
        store.create_session(_session())
    with pytest.raises(SessionNotFound):
        store.get_session("nope")
    assert store.find_session("nope") is None


def test_upsert_keeps_the_earliest_start(store: Store) -> None:
    """Re-importing a session updates its fields but keeps the earliest start time."""
    store.upsert_session(_session(started=T0 + timedelta(hours=1)))
    later = Session(
        id="s1", agent="FORGE", task="new task", model="sonnet", status=SessionStatus.COMPLETED,
        started_at=T0 + timedelta(hours=2), ended_at=T0 + timedelta(hours=3), metadata={"k": 1},
    )  # fmt: skip
    store.upsert_session(later)
    got = store.get_session("s1")
    assert (got.task, got.model, got.status, dict(got.metadata)) == (
        "new task",
        "sonnet",
        later.status,
        {"k": 1},
    )
    assert got.started_at == T0 + timedelta(hours=1)


def test_abandon_recovery_uses_the_last_event(store: Store) -> None:
    """ACTIVE sessions of dead owners become ABANDONED, ended at their last flushed event."""
    store.create_session(_session(), owner=(999_999, "elsewhere", "x"))
    store.insert_events([_event(7)])
    assert store.active_sessions_with_owner() == [("s1", 999_999, "elsewhere", "x")]
    assert store.mark_abandoned(["s1"]) == 1
    got = store.get_session("s1")
    assert got.status is SessionStatus.ABANDONED and got.ended_at == T0 + timedelta(seconds=7)


def test_delete_removes_everything(store: Store) -> None:
    """Deleting a session removes its events, report and alerts too."""
    store.create_session(_session())
    store.insert_events([_event(0)])
    store.save_report("s1", "FORGE", {"efficiency_score": 90.0})
    store.insert_alert("s1", "FORGE", "high_waste", "HIGH", "m", {})
    assert store.delete_session("s1") is True
    assert store.delete_session("s1") is False
    assert store.count_events() == 0 and store.get_report("s1") is None and store.find_session("s1") is None
    assert store.list_alerts() == []


def test_reports_alerts_cursors_counters(store: Store) -> None:
    """Reports replace, alerts are stored once per rule, cursors overwrite, counters add."""
    store.save_report("s1", "FORGE", {"efficiency_score": 50.0, "provisional": True})
    store.save_report("s1", "FORGE", {"efficiency_score": 75.5})
    assert store.get_report("s1") == {"efficiency_score": 75.5}
    assert store.insert_alert("s1", "FORGE", "retry_loop", "HIGH", "loop", {"n": 3}) is True
    assert store.insert_alert("s1", "FORGE", "retry_loop", "HIGH", "loop", {"n": 4}) is False
    alerts = store.list_alerts(session_id="s1")
    assert [(a["rule"], a["payload"]) for a in alerts] == [("retry_loop", {"n": 3})]
    assert store.update_alert("s1", "retry_loop", "loop, settled", {"n": 5, "status": "resolved"}) is True
    assert store.update_alert("s1", "high_waste", "none", {}) is False  # no such alert: nothing created
    settled = store.list_alerts(session_id="s1")
    assert [(a["rule"], a["message"], a["payload"]) for a in settled] == [
        ("retry_loop", "loop, settled", {"n": 5, "status": "resolved"})
    ]
    store.set_cursor("/a.jsonl", {"offset": 10})
    store.set_cursor("/a.jsonl", {"offset": 20})
    assert store.get_cursor("/a.jsonl") == {"offset": 20} and store.get_cursor("/b") is None
    store.add_counter("dropped_events", 3)
    store.add_counter("dropped_events", 4)
    assert store.counters() == {"dropped_events": 7}


def test_portable_query(store: Store) -> None:
    """``query`` runs the shared SQL subset with ``?`` placeholders and gives plain tuples on both backends."""
    for i, agent in enumerate(["FORGE", "ATLAS", "FORGE"]):
        store.create_session(_session(f"s{i}", agent))
    rows = store.query(
        "SELECT agent, count(*), sum(CASE WHEN status = ? THEN 1 ELSE 0 END) FROM sessions "
        "WHERE agent LIKE '%O%' GROUP BY agent ORDER BY agent",
        ["ACTIVE"],
    )
    assert [(a, int(n), int(k)) for a, n, k in rows] == [("FORGE", 2, 2)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 10**9)), max_size=40))
def test_totals_equal_sum_of_distinct_events(store: Store, batch: list[tuple[int, int]]) -> None:
    """Whatever mix of duplicate ids arrives, session totals equal the sum over distinct stored events."""
    sid = f"h{next(_ids)}"
    store.create_session(_session(sid))
    store.insert_events([_event(i, sid, tokens=t) for i, t in batch])
    first: dict[int, int] = {}
    for i, t in batch:
        first.setdefault(i, t)
    session = store.get_session(sid)
    assert session.event_count == len(first)
    assert session.tokens.input_tokens == sum(first.values())


def test_bad_urls_raise_store_error_without_password(tmp_path: object) -> None:
    """Unknown schemes, unparsable URLs and refused connections raise StoreError naming host, never the password."""
    settings_ = Settings.from_env()
    with pytest.raises(StoreError, match="unsupported store URL") as bad:
        open_store("mysql://u:hunter2@db/x", settings_)
    assert "hunter2" not in str(bad.value)
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1/so.*refused") as refused:
        open_store("postgresql://u:hunter2@127.0.0.1:1/so", settings_)
    assert "hunter2" not in str(refused.value)
    with pytest.raises(StoreError) as invalid:
        open_store("postgresql://u:hunter2@127.0.0.1:notaport/so", settings_)
    assert "hunter2" not in str(invalid.value)


def test_default_and_explicit_sqlite(tmp_path: object) -> None:
    """Without a URL the store is SQLite in the home folder; ``sqlite:///path`` picks a file explicitly."""
    from pathlib import Path

    settings_ = Settings.from_env()
    default = open_store(None, settings_)
    assert isinstance(default, SQLiteStore) and default.path == settings_.db_path
    target = Path(str(tmp_path)) / "elsewhere" / "x.db"
    explicit = open_store(f"sqlite://{target}", settings_)
    assert isinstance(explicit, SQLiteStore) and explicit.path == target and target.exists()
