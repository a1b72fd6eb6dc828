"""Fixtures: a store seeded with a week of analyzed sessions, and a real uvicorn server on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.analysis.stored import finalize_session
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.server.runner import serve_in_thread
from tests._store import store_for


@dataclass(frozen=True)
class Seeded:
    """A seeded store: its folder, the server URL and the ids of the sessions written."""

    home: Path
    url: str
    ids: dict[str, list[str]]


def _events(sid: str, start: datetime, rereads: int) -> list[SessionEvent]:
    """A small realistic session: one big file read ``1 + rereads`` times, then a model response."""
    out = []
    t = start
    for i in range(1 + rereads):
        t += timedelta(seconds=5)
        out.append(
            SessionEvent(
                id=f"{sid}-read{i}",
                session_id=sid,
                event_type=EventType.FILE_READ,
                timestamp=t,
                data={"file_path": "src/big.py", "result_tokens": 3000},
                tokens_input=3000,
            )
        )
    out.append(
        SessionEvent(
            id=f"{sid}-resp",
            session_id=sid,
            event_type=EventType.AI_RESPONSE,
            timestamp=t + timedelta(seconds=5),
            data={"model": "claude-sonnet-4-5"},
            tokens_input=4000,
            tokens_output=1500,
        )
    )
    return out


def seed_history(home: Path, now: datetime) -> dict[str, list[str]]:
    """Write and analyze sessions over the last 6 days: FORGE improves over time, ATLAS is steady."""
    store = store_for(home)
    engine = AlertEngine(store)
    ids: dict[str, list[str]] = {"FORGE": [], "ATLAS": []}
    plan = [("FORGE", d, 3 if d >= 3 else 0) for d in (5, 4, 3, 1, 0)] + [("ATLAS", d, 1) for d in (5, 2, 0)]
    for n, (agent, days_ago, rereads) in enumerate(plan):
        start = now - timedelta(days=days_ago, hours=1, minutes=n)
        sid = f"{agent.lower()}_seed_{n:02d}"
        events = _events(sid, start, rereads)
        session = Session(
            id=sid,
            agent=agent,
            task=f"{agent} task {n}",
            model="claude-sonnet-4-5",
            status=SessionStatus.COMPLETED,
            started_at=start,
            ended_at=events[-1].timestamp,
        )
        store.upsert_session(session)
        store.insert_events(events)
        finalize_session(store, home / "reports", sid, engine=engine)
        ids[agent].append(sid)
    return ids


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A seeded store served by a real uvicorn on 127.0.0.1 (stream polled every 0.2 s)."""
    home = tmp_path_factory.mktemp("api-home")
    ids = seed_history(home, datetime.now(UTC))
    with serve_in_thread(home, poll_interval=0.2) as url:
        yield Seeded(home, url, ids)
