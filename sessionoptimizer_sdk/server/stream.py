"""``GET /api/stream``: Server-Sent Events for session starts, ends, token updates and alerts.

Sessions are written by other processes, so the stream polls the store (every ``poll_interval`` seconds, one
indexed query for the ACTIVE set plus one for new alerts) and sends the differences. Event names:
``session_start``, ``tokens``, ``session_end`` (data: the session JSON) and ``alert`` (data: the alert JSON).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..models import Session, SessionStatus
from . import _queries as q
from ._security import RECHECK_SCOPE_KEY
from .serialize import alert_to_dict, session_to_dict
from .service import DashboardService

__all__ = ["StreamState", "poll_changes", "stream_endpoint"]

KEEPALIVE_SECONDS = 15.0
#: An open stream re-checks its token this often, so a revoked read token stops it within about a second.
RECHECK_SECONDS = 1.0
#: More changed sessions than this in one poll are read with one listing of the ACTIVE set, fewer one by one.
_BULK_READ = 64


@dataclass(slots=True)
class StreamState:
    """What one client has been told: ACTIVE sessions with their event counts, and the last alert id."""

    active: dict[str, int] = field(default_factory=dict)
    last_alert_id: int = 0


def _frame(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, allow_nan=False, separators=(',', ':'))}\n\n"


def initial_state(service: DashboardService) -> StreamState:
    """The state as of now, so a new client is only told about later changes."""
    return StreamState(q.active_event_counts(service.store), q.max_alert_id(service.store))


def _read_active(service: DashboardService, ids: set[str]) -> list[Session]:
    """The sessions ``ids`` that are still ACTIVE, oldest first (one listing when many, else by id)."""
    if len(ids) > _BULK_READ:
        found = [
            s for s in service.store.list_sessions(status=SessionStatus.ACTIVE, limit=None) if s.id in ids
        ]
    else:
        found = [s for s in map(service.store.find_session, ids) if s is not None]
    return sorted((s for s in found if s.status is SessionStatus.ACTIVE), key=lambda s: (s.started_at, s.id))


def poll_changes(service: DashboardService, state: StreamState) -> list[tuple[str, Any]]:
    """Events describing what changed since ``state`` (which is updated in place).

    Every ACTIVE session is compared (no window), so a session is reported ended only once it really ended.
    """
    out: list[tuple[str, Any]] = []
    counts = q.active_event_counts(service.store)
    told = dict(state.active)
    for s in _read_active(service, {sid for sid, n in counts.items() if told.get(sid) != n}):
        out.append(("tokens" if s.id in told else "session_start", service.live_entry(s)))
        state.active[s.id] = s.event_count
    for sid in told.keys() - counts.keys():
        ended = service.store.find_session(sid)
        if ended is not None and ended.status is SessionStatus.ACTIVE:
            continue  # listed between two writes: still running, compared again next poll
        out.append(("session_end", session_to_dict(ended) if ended else {"id": sid, "status": "DELETED"}))
        del state.active[sid]
    for row in q.alerts_after(service.store, state.last_alert_id):
        state.last_alert_id = max(state.last_alert_id, int(row["id"]))
        out.append(("alert", alert_to_dict(row)))
    return out


async def _authorized(request: Request) -> bool:
    """Whether the token the stream was opened with is still valid (always, on a server without tokens)."""
    recheck: Callable[[], bool] | None = request.scope.get(RECHECK_SCOPE_KEY)
    return recheck is None or await run_in_threadpool(recheck)


async def _events(request: Request, service: DashboardService, interval: float) -> AsyncIterator[str]:
    state = await run_in_threadpool(initial_state, service)
    yield "retry: 2000\n: connected\n\n"
    last_sent = time.monotonic()
    next_poll = last_sent + interval
    while True:
        await asyncio.sleep(max(0.0, min(next_poll - time.monotonic(), RECHECK_SECONDS)))
        if await request.is_disconnected() or not await _authorized(request):
            return  # a revoked token ends the stream; the client's reconnect then gets 401
        if time.monotonic() < next_poll:
            continue
        next_poll = time.monotonic() + interval
        changes = await run_in_threadpool(poll_changes, service, state)
        for event, data in changes:
            yield _frame(event, data)
        if changes:
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()


async def stream_endpoint(request: Request) -> StreamingResponse:
    """The SSE response (``text/event-stream``, never cached)."""
    service: DashboardService = request.app.state.service
    interval: float = request.app.state.poll_interval
    return StreamingResponse(
        _events(request, service, interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
