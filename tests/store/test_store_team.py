"""The team server's and closing-the-loop's store methods give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import UnstorableValue
from sessionoptimizer_sdk.store import Store, open_store

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store of the parametrized backend."""
    opened = open_store(store_url, Settings.from_env())
    yield opened
    opened.close()


def _session(sid: str, *, started: datetime = T0, trace_id: str | None = "ab" * 16) -> Session:
    return Session(
        id=sid,
        agent="FORGE",
        task="t",
        model="opus",
        status=SessionStatus.ACTIVE,
        started_at=started,
        trace_id=trace_id,
    )


def _event(i: int, sid: str, tokens: int) -> SessionEvent:
    return SessionEvent(
        id=f"e{i}",
        session_id=sid,
        event_type=EventType.AI_RESPONSE,
        timestamp=T0 + timedelta(seconds=i),
        tokens_input=tokens,
        tokens_output=1,
    )


def test_session_origin_keeps_the_first_values_and_falls_back(store: Store) -> None:
    """The first host/source stick unless replaced; sessions without an origin read as owner host and sdk/import."""
    store.create_session(_session("tel"))
    store.set_session_origin("tel", host="laptop-a", source="claude_code")
    store.set_session_origin("tel", host="laptop-b", source="codex")
    store.create_session(_session("imp"))
    store.set_session_origin("imp", host="laptop-a", source="claude_code")
    store.set_session_origin("imp", host=None, source="import", replace=True)
    store.create_session(_session("local"), owner=(1, "ci-box", "x"))
    store.create_session(_session("old", trace_id=None))
    assert store.session_origins(["tel", "imp", "local", "old", "missing"]) == {
        "tel": ("laptop-a", "claude_code"),
        "imp": ("laptop-a", "import"),
        "local": ("ci-box", "sdk"),
        "old": (None, "import"),
    }
    assert store.session_origins([]) == {}


def test_session_ids_by_origin_filters_newest_first(store: Store) -> None:
    """Listing by host and/or source applies the same fallbacks and returns the newest sessions first."""
    for i, (host, source) in enumerate(
        [("a", "codex"), ("b", "codex"), ("a", "claude_code"), ("a", "codex")]
    ):
        store.create_session(_session(f"s{i}", started=T0 + timedelta(minutes=i)))
        store.set_session_origin(f"s{i}", host=host, source=source)
    store.create_session(_session("sdk1", started=T0 + timedelta(minutes=9)), owner=(1, "a", "x"))
    assert store.session_ids_by_origin(host="a", source="codex") == ["s3", "s0"]
    assert store.session_ids_by_origin(source="sdk") == ["sdk1"]
    assert store.session_ids_by_origin(host="a", limit=2) == ["sdk1", "s3"]
    assert store.session_ids_by_origin(host="nowhere") == []


def test_idle_active_sessions_and_delete_events(store: Store) -> None:
    """Idle telemetry sessions are found by their last event; deleting a session's events zeroes its totals."""
    store.create_session(_session("idle"))
    store.set_session_origin("idle", host="h", source="claude_code")
    store.insert_events([_event(0, "idle", 5), _event(30, "idle", 7)])
    store.create_session(_session("sdk"))
    store.set_session_origin("sdk", host="h", source="sdk")
    last = (T0 + timedelta(seconds=30)).timestamp()
    assert store.idle_active_sessions(["claude_code", "codex"], last + 1) == [("idle", last)]
    assert store.idle_active_sessions(["claude_code"], last) == []
    assert store.get_session("idle").tokens.input_tokens == 12
    assert store.delete_events("idle") == 2
    got = store.get_session("idle")
    assert (got.event_count, got.tokens.input_tokens, store.count_events("idle")) == (0, 0, 0)
    assert store.delete_events("idle") == 0


def test_tokens_are_stored_hashed_found_listed_and_revoked(store: Store) -> None:
    """A token is found by its secret's hash until revoked; listing never shows the hash; counts follow."""
    digest = hashlib.sha256(b"secret-1").hexdigest()
    before = time.time()
    store.add_token("tok1", kind="ingest", agent="FORGE", secret_sha256=digest)
    store.add_token("tok2", kind="read", agent=None, secret_sha256=hashlib.sha256(b"secret-2").hexdigest())
    found = store.find_token(digest)
    assert found is not None and found["id"] == "tok1" and found["agent"] == "FORGE"
    assert before <= found["created_at"] <= time.time()
    assert [(t["id"], t["kind"], t["revoked_at"]) for t in store.list_tokens()] == [
        ("tok1", "ingest", None),
        ("tok2", "read", None),
    ]
    assert all(digest not in map(str, t.values()) for t in store.list_tokens())
    assert (store.count_tokens("ingest"), store.count_tokens("read")) == (1, 1)
    assert store.revoke_token("tok1") is True
    assert store.revoke_token("tok1") is False and store.revoke_token("nope") is False
    assert store.find_token(digest) is None and store.count_tokens("ingest") == 0
    assert store.list_tokens()[0]["revoked_at"] is not None


def test_duplicate_token_secret_is_a_store_error(store: Store) -> None:
    """Two tokens cannot share a secret hash: the second insert fails (PostgreSQL: UnstorableValue), storing nothing."""
    store.add_token("t1", kind="ingest", agent=None, secret_sha256="00" * 32)
    expected = sqlite3.IntegrityError if store.backend == "sqlite" else UnstorableValue
    with pytest.raises(expected):
        store.add_token("t2", kind="ingest", agent=None, secret_sha256="00" * 32)
    assert [t["id"] for t in store.list_tokens()] == ["t1"]


def test_enablements_are_recorded_per_agent_in_time_order(store: Store) -> None:
    """Enablements come back per agent, oldest first, with their detail; an unknown kind is refused."""
    store.record_enablement("FORGE", "guard", at=200.0, detail={"by": "cli"})
    store.record_enablement("FORGE", "guidance", at=100.0)
    store.record_enablement("FORGE", "guidance", action="disabled", at=300.0)
    store.record_enablement("ATLAS", "guard", at=150.0)
    assert store.list_enablements("FORGE") == [
        {"kind": "guidance", "action": "enabled", "at": 100.0, "detail": {}},
        {"kind": "guard", "action": "enabled", "at": 200.0, "detail": {"by": "cli"}},
        {"kind": "guidance", "action": "disabled", "at": 300.0, "detail": {}},
    ]
    assert store.list_enablements("NOBODY") == []
    expected = sqlite3.IntegrityError if store.backend == "sqlite" else UnstorableValue
    with pytest.raises(expected):  # the kind's CHECK constraint
        store.record_enablement("FORGE", "telepathy", at=400.0)
    assert len(store.list_enablements("FORGE")) == 3


def test_nul_in_descriptive_text_is_kept_or_replaced_never_fatal(store: Store) -> None:
    """A NUL in task, model or event name is stored (PostgreSQL as U+FFFD); a NUL in an id is refused on PG."""
    session = Session(
        id="n1", agent="A", task="t\x00t", model="m\x00", status=SessionStatus.ACTIVE, started_at=T0
    )
    store.create_session(session)
    event = SessionEvent(
        id="e1",
        session_id="n1",
        event_type=EventType.TOOL_CALL,
        timestamp=T0,
        name="to\x00ol",
        tokens_input=3,
    )
    assert store.insert_events([event]) == 1
    nul = "\x00" if store.backend == "sqlite" else "\ufffd"
    got = store.get_session("n1")
    assert (got.task, got.model, got.event_count) == (f"t{nul}t", f"m{nul}", 1)
    assert store.get_events("n1")[0].name == f"to{nul}ol"
    if store.backend == "postgresql":
        with pytest.raises(UnstorableValue):
            store.create_session(Session("n\x002", "A", "t", "m", SessionStatus.ACTIVE, T0))
        assert store.count_sessions() == 1


def test_the_store_decides_one_copy_of_a_session_inside_the_write(store: Store) -> None:
    """Import over telemetry replaces it once; a later import chunk adds to it; telemetry after it is ignored."""
    from sessionoptimizer_sdk.store._rows import event_to_row
    from sessionoptimizer_sdk.store.base import RemoteOrigin

    def rows(prefix: str, n: int, tokens: int) -> list[tuple[object, ...]]:
        events = [
            SessionEvent(
                f"{prefix}{i}", "S", EventType.AI_RESPONSE, T0 + timedelta(seconds=i), tokens_input=tokens
            )
            for i in range(n)
        ]
        return [event_to_row(e) for e in events]

    telemetry = RemoteOrigin("S", "laptop", "claude_code", _session("S"))
    store.commit_remote_batch([telemetry], rows("t", 10, 120))
    assert store.get_session("S").tokens.input_tokens == 1200
    imported = RemoteOrigin("S", "importer", "import", replace=True)
    store.commit_remote_batch([imported], rows("imp-a", 20, 7))  # replaces the telemetry events
    store.commit_remote_batch([imported], rows("imp-b", 20, 7))  # a second chunk of the same import: added
    store.commit_remote_batch([RemoteOrigin("S", "laptop", "claude_code")], rows("t2", 5, 120))  # ignored
    session = store.get_session("S")
    assert (session.event_count, session.tokens.input_tokens) == (40, 280)
    assert store.session_origins(["S"])["S"] == ("importer", "import")
