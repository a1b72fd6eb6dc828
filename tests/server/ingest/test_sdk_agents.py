"""SDK agents on other machines export OTLP to the team server and appear there as if recorded locally."""

from __future__ import annotations

import functools
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from sessionoptimizer_sdk.models import EventType, SessionStatus
from sessionoptimizer_sdk.store import Store
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .conftest import TEAM_ON_BOTH, TeamServer, run_agent, wait_for

# Each agent session: 3 reads of 3,000 tokens + one response of 4,000 in / 1,500 out = 4 events.
EVENTS = 4
INPUT = 3 * 3000 + 4000
OUTPUT = 1500


def _ended(store: Store, sid: str) -> bool:
    session = store.find_session(sid)
    return session is not None and not session.is_active


@TEAM_ON_BOTH
def test_two_machines_appear_with_same_ids_events_and_status(tmp_path: Path, team_server: TeamServer):
    """Agents on two hosts show up on the server with their ids, status, events, totals, host and source."""
    run_agent(tmp_path, team_server.url, "machine-a", "forge-remote-1", "FORGE", "complete")
    run_agent(tmp_path, team_server.url, "machine-b", "atlas-remote-1", "ATLAS", "complete")
    store = team_server.store
    for sid, agent, host in (
        ("forge-remote-1", "FORGE", "machine-a"),
        ("atlas-remote-1", "ATLAS", "machine-b"),
    ):
        assert wait_for(functools.partial(_ended, store, sid))
        session = store.get_session(sid)
        assert session.agent == agent
        assert session.status is SessionStatus.COMPLETED
        assert session.task == "fix the parser"
        assert session.model == "claude-sonnet-4-5"
        assert session.event_count == EVENTS
        assert session.tokens.input_tokens == INPUT
        assert session.tokens.output_tokens == OUTPUT
        assert store.session_origins([sid])[sid] == (host, "sdk")
        local = SQLiteStore(tmp_path / f"local-{host}" / "sessionoptimizer.db")  # the local store records too
        assert [e.id for e in local.get_events(sid)] == [e.id for e in store.get_events(sid)]
        assert [e.event_type for e in store.get_events(sid)].count(EventType.FILE_READ) == 3


@TEAM_ON_BOTH
def test_remote_session_gets_report_with_repeated_read_finding(tmp_path: Path, team_server: TeamServer):
    """The server analyses an ended remote session: its report flags the file read three times."""
    run_agent(tmp_path, team_server.url, "machine-a", "forge-report-1", "FORGE", "complete")
    assert wait_for(lambda: team_server.store.get_report("forge-report-1") is not None, timeout=15)
    report = httpx.get(f"{team_server.url}/api/reports/forge-report-1").json()
    assert report["session_id"] == "forge-report-1"
    assert "repeated_file_read" in {issue["type"] for issue in report["issues"]}


@TEAM_ON_BOTH
def test_session_ended_from_another_process_and_abandoned(tmp_path: Path, team_server: TeamServer):
    """A session started in one process and ended from another ends COMPLETED; one never ended is ABANDONED."""
    run_agent(tmp_path, team_server.url, "machine-a", "forge-split-1", "FORGE", "start-only")
    store = team_server.store
    assert wait_for(
        lambda: (s := store.find_session("forge-split-1")) is not None and s.event_count == EVENTS
    )
    active = httpx.get(f"{team_server.url}/api/sessions/active").json()["sessions"]
    assert "forge-split-1" in {s["id"] for s in active}  # live on the server while it runs
    run_agent(tmp_path, team_server.url, "machine-a", "forge-split-1", "FORGE", "end-only")
    assert wait_for(lambda: store.get_session("forge-split-1").status is SessionStatus.COMPLETED)
    assert store.get_session("forge-split-1").event_count == EVENTS
    run_agent(tmp_path, team_server.url, "machine-b", "bolt-dies-1", "BOLT", "abandon")
    assert wait_for(
        lambda: (s := store.find_session("bolt-dies-1")) is not None and s.status is SessionStatus.ABANDONED
    )


def test_sigkilled_agent_session_becomes_abandoned_on_the_server_when_its_machine_recovers(
    tmp_path: Path, team_server: TeamServer
):
    """An agent killed by SIGKILL leaves its session live on the server until the next start on its machine."""
    with pytest.raises(subprocess.CalledProcessError) as killed:
        run_agent(tmp_path, team_server.url, "machine-k", "nexus-killed-1", "NEXUS", "killed")
    assert killed.value.returncode == -signal.SIGKILL
    store = team_server.store
    assert wait_for(
        lambda: (s := store.find_session("nexus-killed-1")) is not None and s.event_count == EVENTS
    )
    assert store.get_session("nexus-killed-1").status is SessionStatus.ACTIVE  # nothing ran at the kill
    run_agent(tmp_path, team_server.url, "machine-k", "nexus-killed-1", "NEXUS", "recover")
    assert wait_for(lambda: store.get_session("nexus-killed-1").status is SessionStatus.ABANDONED)
    server_session = store.get_session("nexus-killed-1")
    local = SQLiteStore(tmp_path / "local-machine-k" / "sessionoptimizer.db").get_session("nexus-killed-1")
    assert local.status is SessionStatus.ABANDONED
    assert server_session.event_count == EVENTS  # the end adds no event and doubles none
    assert server_session.ended_at is not None and local.ended_at is not None
    assert abs((server_session.ended_at - local.ended_at).total_seconds()) < 0.01  # ended at its last event
