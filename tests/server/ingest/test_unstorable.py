"""Text PostgreSQL cannot hold (a NUL character) neither fails the batch nor starts an endless 503 retry."""

from __future__ import annotations

import httpx

from .conftest import TEAM_ON_BOTH, TeamServer
from .payloads import event_span, traces

PB = {"Content-Type": "application/x-protobuf"}


@TEAM_ON_BOTH
def test_nul_in_agent_name_is_stored_with_its_event(team_server: TeamServer):
    """A NUL in the agent name: 200, the event is stored; SQLite keeps the NUL, PostgreSQL stores U+FFFD."""
    body = traces(event_span("nul-1", 1), agent="FO\x00RGE").SerializeToString()
    r = httpx.post(f"{team_server.url}/v1/traces", content=body, headers=PB)
    assert r.status_code == 200, r.text
    session = team_server.store.get_session("nul-1")
    expected = "FO\x00RGE" if team_server.store.backend == "sqlite" else "FO\ufffdRGE"
    assert (session.agent, session.event_count, session.tokens.input_tokens) == (expected, 1, 100)
