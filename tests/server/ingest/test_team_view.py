"""The team view: every session shows its machine and source, and the API and CLI filter by them."""

from __future__ import annotations

import json
import time

import httpx
from click.testing import CliRunner

from sessionoptimizer_sdk.cli._app import cli

from .conftest import TEAM_ON_BOTH, TeamServer
from .payloads import event_span, traces
from .telemetry_fixtures import CLAUDE_SID, CODEX_SID, claude_code_session, codex_session

PB = {"Content-Type": "application/x-protobuf"}


def _fill(server: TeamServer) -> None:
    """FORGE (SDK) on machine-a, CLIO (Claude Code) on clio-laptop, BOLT (Codex) on bolt-box, all live."""
    now = time.time_ns()
    spans = traces(event_span("forge-live", 1), host="machine-a")
    for span in spans.resource_spans[0].scope_spans[0].spans:
        span.start_time_unix_nano = span.end_time_unix_nano = now
    assert (
        httpx.post(f"{server.url}/v1/traces", content=spans.SerializeToString(), headers=PB).status_code
        == 200
    )
    for request in (claude_code_session(t0=now), codex_session(t0=now)):
        assert (
            httpx.post(f"{server.url}/v1/logs", content=request.SerializeToString(), headers=PB).status_code
            == 200
        )


@TEAM_ON_BOTH
def test_api_filters_sessions_by_host_and_source(team_server: TeamServer):
    """``/api/sessions?host=`` and ``?source=`` return only that machine's or source's sessions."""
    _fill(team_server)
    everyone = httpx.get(f"{team_server.url}/api/sessions").json()
    assert {(s["id"], s["host"], s["source"]) for s in everyone["sessions"]} == {
        ("forge-live", "machine-a", "sdk"),
        (CLAUDE_SID, "clio-laptop", "claude_code"),
        (CODEX_SID, "bolt-box", "codex"),
    }
    by_host = httpx.get(f"{team_server.url}/api/sessions", params={"host": "machine-a"}).json()
    assert [s["id"] for s in by_host["sessions"]] == ["forge-live"]
    assert by_host["total"] == 1
    by_source = httpx.get(f"{team_server.url}/api/sessions", params={"source": "codex"}).json()
    assert [s["agent"] for s in by_source["sessions"]] == ["BOLT"]


@TEAM_ON_BOTH
def test_active_sessions_show_machine_and_source(team_server: TeamServer):
    """The live list (BCH dashboard) carries each running session's host and source."""
    _fill(team_server)
    active = httpx.get(f"{team_server.url}/api/sessions/active").json()["sessions"]
    assert {(s["agent"], s["host"], s["source"]) for s in active} == {
        ("FORGE", "machine-a", "sdk"),
        ("CLIO", "clio-laptop", "claude_code"),
        ("BOLT", "bolt-box", "codex"),
    }


@TEAM_ON_BOTH
def test_cli_list_filters_by_source(team_server: TeamServer):
    """``sessionoptimizer list --source claude_code --format json`` lists only Claude Code sessions."""
    _fill(team_server)
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(team_server.home),
            "--store",
            team_server.store_url,
            "list",
            "--source",
            "claude_code",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    sessions = json.loads(result.stdout)["sessions"]
    assert [(s["id"], s["host"]) for s in sessions] == [(CLAUDE_SID, "clio-laptop")]


def test_dashboard_shows_machine_and_source(team_server: TeamServer):
    """The sessions page lists each session's machine and source and filters by machine."""
    _fill(team_server)
    page = httpx.get(f"{team_server.url}/sessions").text
    assert "clio-laptop" in page and "claude_code" in page and "bolt-box" in page
    only = httpx.get(f"{team_server.url}/sessions", params={"host": "machine-a"}).text
    assert "forge-live" in only and CLAUDE_SID not in only
    home = httpx.get(f"{team_server.url}/").text
    assert "bolt-box (codex)" in home  # the live list on the main dashboard
