"""Concurrent first requests of one new telemetry session (a Collector's parallel consumers) lose nothing."""

from __future__ import annotations

import threading

import httpx

from .conftest import TEAM_ON_BOTH, TeamServer
from .payloads import log_record, logs

PB = {"Content-Type": "application/x-protobuf"}
SENDERS = 6
PER_REQUEST = 25
ROUNDS = 5


def _body(sid: str, sender: int) -> bytes:
    """One sender's records of session ``sid``: distinct timestamps, so distinct event ids."""
    records = [
        log_record(
            "claude_code.tool_result",
            {"session.id": sid, "tool_name": "Bash", "success": "true"},
            t_s=sender * PER_REQUEST + i,
        )
        for i in range(PER_REQUEST)
    ]
    body: bytes = logs(*records, service="claude-code", agent="CLIO").SerializeToString()
    return body


def _race(url: str, bodies: list[bytes]) -> list[int]:
    """Post all bodies at the same instant, one thread and connection each; their statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def send(body: bytes) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            statuses.append(client.post(url, content=body, headers=PB).status_code)

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@TEAM_ON_BOTH
def test_parallel_first_batches_of_a_new_session_are_all_stored(team_server: TeamServer):
    """6 requests racing to create the same new session, all answered 200: all 150 events are stored."""
    url = f"{team_server.url}/v1/logs"
    for n in range(ROUNDS):
        sid = f"cc-race-{n}"
        assert _race(url, [_body(sid, s) for s in range(SENDERS)]) == [200] * SENDERS
        assert team_server.store.count_events(sid) == SENDERS * PER_REQUEST  # 6 x 25, none dropped
        assert team_server.store.session_origins([sid])[sid][1] == "claude_code"
