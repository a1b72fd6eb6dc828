"""``import claude-code --server``: transcripts shipped to the team server with full precision, one copy."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests._paths import FIXTURES

from .conftest import TEAM_ON_BOTH, TeamServer
from .payloads import logs
from .telemetry_fixtures import _cc

TRANSCRIPT = FIXTURES / "claude-code-session-share" / "4b2030ed-5563-49ea-b703-6a002f2d3cc8.jsonl"
SID = "4b2030ed-5563-49ea-b703-6a002f2d3cc8"
PB = {"Content-Type": "application/x-protobuf"}

pytestmark = pytest.mark.skipif(
    not TRANSCRIPT.exists(), reason="the shared Claude Code transcripts are absent"
)


def _import(home: Path, server: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(home),
            "import",
            "claude-code",
            str(TRANSCRIPT),
            "--server",
            server,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output


def test_shipped_import_equals_the_local_import(tmp_path: Path, team_server: TeamServer):
    """The server holds the same session, event ids, types, durations and token totals as the local store."""
    _import(tmp_path / "local", team_server.url)
    local = SQLiteStore(tmp_path / "local" / "sessionoptimizer.db")
    mine, theirs = local.get_session(SID), team_server.store.get_session(SID)
    assert (theirs.agent, theirs.status, theirs.task, theirs.model) == (
        mine.agent,
        mine.status,
        mine.task,
        mine.model,
    )
    assert theirs.tokens == mine.tokens
    assert theirs.event_count == mine.event_count > 0
    strip = lambda e: (e.id, e.event_type, e.timestamp, e.duration_ms, e.usage, dict(e.data), e.is_error)  # noqa: E731
    assert [strip(e) for e in team_server.store.get_events(SID)] == [strip(e) for e in local.get_events(SID)]
    assert team_server.store.session_origins([SID])[SID][1] == "import"


def test_reshipping_sends_nothing_twice(tmp_path: Path, team_server: TeamServer):
    """Importing again (or a retry) leaves exactly one copy of every event on the server."""
    _import(tmp_path / "local", team_server.url)
    count = team_server.store.count_events(SID)
    _import(tmp_path / "local", team_server.url)
    _import(tmp_path / "other-machine", team_server.url)  # a fresh local store: everything is resent
    assert team_server.store.count_events(SID) == count


@TEAM_ON_BOTH
def test_transcript_replaces_telemetry_of_the_same_session(tmp_path: Path, team_server: TeamServer):
    """Telemetry first, then the transcript: the transcript's events replace it; later telemetry is ignored."""
    now = time.time_ns()
    telemetry = logs(
        _cc("api_request", 1, 0, now, **{"session.id": SID, "input_tokens": 999_999}), service="claude-code"
    )
    assert (
        httpx.post(
            f"{team_server.url}/v1/logs", content=telemetry.SerializeToString(), headers=PB
        ).status_code
        == 200
    )
    _import(tmp_path / "local", team_server.url)
    local = SQLiteStore(tmp_path / "local" / "sessionoptimizer.db")
    assert team_server.store.get_session(SID).tokens == local.get_session(SID).tokens
    late = logs(
        _cc("api_request", 2, 1, now, **{"session.id": SID, "input_tokens": 5}), service="claude-code"
    )
    assert (
        httpx.post(f"{team_server.url}/v1/logs", content=late.SerializeToString(), headers=PB).status_code
        == 200
    )
    assert team_server.store.count_events(SID) == local.count_events(SID)


def test_follow_ships_live_and_ends_the_session(tmp_path: Path, team_server: TeamServer):
    """``import --follow --server`` ships a growing transcript; stopping ends it COMPLETED on the server too."""
    live = tmp_path / "projects" / f"{SID}.jsonl"
    live.parent.mkdir()
    live.write_bytes(TRANSCRIPT.read_bytes())  # a fresh mtime: the follower treats it as a live session
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(tmp_path / "local"),
            "import",
            "claude-code",
            str(live.parent),
            "--follow",
            "--stop-after",
            "1.5",
            "--poll-interval",
            "0.2",
            "--server",
            team_server.url,
        ],
    )
    assert result.exit_code == 0, result.output
    local = SQLiteStore(tmp_path / "local" / "sessionoptimizer.db")
    theirs = team_server.store.get_session(SID)
    assert theirs.status is local.get_session(SID).status is SessionStatus.COMPLETED
    assert theirs.event_count == local.get_session(SID).event_count > 0
