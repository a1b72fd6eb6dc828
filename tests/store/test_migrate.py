"""``sessionoptimizer migrate``: a SQLite store copied into another store, idempotent, resumable and verified."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.store import SQLiteStore, Store, open_store

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _source(path: Path) -> SQLiteStore:
    """3 sessions x 7 events (10 input tokens each); s0: report, origin; s1: alert; 2 tokens; 1 enablement."""
    store = SQLiteStore(path)
    for n in range(3):
        sid = f"s{n}"
        store.upsert_session(
            Session(
                id=sid, agent="FORGE" if n < 2 else "ATLAS", task=f"task {n}", model="opus",
                status=SessionStatus.COMPLETED, started_at=T0 + timedelta(hours=n),
                ended_at=T0 + timedelta(hours=n, minutes=5),
            )
        )  # fmt: skip
        store.insert_events(
            [
                SessionEvent(
                    id=f"e{i}",
                    session_id=sid,
                    event_type=EventType.TOOL_CALL,
                    timestamp=T0 + timedelta(hours=n, seconds=i),
                    tokens_input=10,
                    data={"tool": "make"},
                )
                for i in range(7)
            ]
        )
    store.save_report("s0", "FORGE", {"efficiency_score": 81.5, "total_waste_tokens": 12}, at=1_700_000_000.0)
    store.insert_alert("s1", "FORGE", "retry_loop", "HIGH", "loop", {"n": 3}, at=1_700_000_100.0)
    store.set_session_origin("s0", host="laptop", source="claude_code")
    store.add_token("tok1", kind="ingest", agent="FORGE", secret_sha256="a1" * 32)
    store.add_token("tok2", kind="read", agent=None, secret_sha256="b2" * 32)
    store.revoke_token("tok2")
    store.record_enablement("FORGE", "guard", at=1_700_000_200.0, detail={"by": "cli"})
    return store


def _migrate(source: str, target: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["migrate", "--from", source, "--to", target, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _target(url: str) -> Store:
    return open_store(url, Settings.from_env())


def test_migrate_copies_everything_and_verifies(tmp_path: Path, store_url: str) -> None:
    """Sessions with origins, events with totals, reports, alerts, tokens and enablements all arrive."""
    _source(tmp_path / "laptop.db")
    summary = _migrate(f"sqlite://{tmp_path / 'laptop.db'}", store_url)
    assert (summary["sessions"], summary["events_copied"], summary["reports"], summary["alerts"]) == (
        3,
        21,
        1,
        1,
    )
    assert summary["verified"] is True and summary["mismatches"] == []
    target = _target(store_url)
    assert target.count_sessions() == 3 and target.count_events() == 21
    assert target.get_session("s2").tokens.input_tokens == 70 and target.get_session("s2").agent == "ATLAS"
    assert target.get_report("s0") == {"efficiency_score": 81.5, "total_waste_tokens": 12}
    assert target.query("SELECT generated_at FROM reports WHERE session_id = ?", ["s0"]) == [
        (1_700_000_000.0,)
    ]
    alerts = target.list_alerts()
    assert [(a["session_id"], a["rule"], a["created_at"], a["payload"]) for a in alerts] == [
        ("s1", "retry_loop", 1_700_000_100.0, {"n": 3})
    ]
    assert target.session_origins(["s0", "s1"]) == {"s0": ("laptop", "claude_code"), "s1": (None, "import")}
    assert (summary["tokens"], summary["enablements"]) == (2, 1)
    found = target.find_token("a1" * 32)
    assert found is not None and (found["id"], found["kind"], found["agent"]) == ("tok1", "ingest", "FORGE")
    assert target.find_token("b2" * 32) is None and target.count_tokens("read") == 0
    assert [t["id"] for t in target.list_tokens()] == ["tok1", "tok2"]
    assert target.list_enablements("FORGE") == [
        {"kind": "guard", "action": "enabled", "at": 1_700_000_200.0, "detail": {"by": "cli"}}
    ]


def test_migrate_again_changes_nothing(tmp_path: Path, store_url: str) -> None:
    """A second run copies no event, skips complete sessions and leaves the same counts and totals."""
    _source(tmp_path / "laptop.db")
    _migrate(f"sqlite://{tmp_path / 'laptop.db'}", store_url)
    again = _migrate(f"sqlite://{tmp_path / 'laptop.db'}", store_url)
    assert (again["events_copied"], again["sessions_already_complete"], again["verified"]) == (0, 3, True)
    assert (again["tokens"], again["enablements"]) == (0, 0)
    target = _target(store_url)
    assert target.count_events() == 21 and target.get_session("s0").tokens.input_tokens == 70
    assert len(target.list_alerts()) == 1
    assert len(target.list_tokens()) == 2 and len(target.list_enablements("FORGE")) == 1


def test_interrupted_migration_resumes_without_doubles(tmp_path: Path, store_url: str) -> None:
    """A copy cut off halfway through a session's events completes on the next run, each event counted once."""
    source = _source(tmp_path / "laptop.db")
    target = _target(store_url)
    target.upsert_session(source.get_session("s1"))
    target.insert_events(source.get_events("s1")[:3])  # what an interrupted run had written
    summary = _migrate(f"sqlite://{tmp_path / 'laptop.db'}", store_url)
    assert summary["events_copied"] == 21 - 3 and summary["verified"] is True
    assert target.get_session("s1").event_count == 7 and target.get_session("s1").tokens.input_tokens == 70


def test_migrate_into_the_same_store_is_a_usage_error(tmp_path: Path) -> None:
    """Copying a store onto itself is refused (exit 2) and changes nothing."""
    _source(tmp_path / "laptop.db")
    url = f"sqlite://{tmp_path / 'laptop.db'}"
    result = CliRunner().invoke(cli, ["migrate", "--from", url, "--to", url])
    assert result.exit_code == 2
    assert SQLiteStore(tmp_path / "laptop.db").count_events() == 21
