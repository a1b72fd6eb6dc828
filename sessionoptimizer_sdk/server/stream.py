"""``GET /api/stream``: Server-Sent Events for session starts, ends, token updates and alerts.

Sessions are written by other processes, so the stream polls the store (every ``poll_interval`` seconds, one
indexed query for the ACTIVE set plus one for new alerts) and sends the differences. Event names:
``session_start``, ``tokens``, ``session_end`` (data: the session JSON) and ``alert`` (data: the alert JSON).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ..models import SessionStatus
from . import _queries as q
from .serialize import alert_to_dict, session_to_dict
from .service import DashboardService

__all__ = ["StreamState", "poll_changes", "stream_endpoint"]

KEEPALIVE_SECONDS = 15.0


@dataclass(slots=True)
class StreamState:
    """What one client has been told: ACTIVE sessions with their event counts, and the last alert id."""

    active: dict[str, int] = field(default_factory=dict)
    last_alert_id: int = 0


def _frame(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, allow_nan=False, separators=(',', ':'))}\n\n"


def initial_state(service: DashboardService) -> StreamState:
    """The state as of now, so a new client is only told about later changes."""
    active = service.store.list_sessions(status=SessionStatus.ACTIVE, limit=1000)
    return StreamState({s.id: s.event_count for s in active}, q.max_alert_id(service.store))


def poll_changes(service: DashboardService, state: StreamState) -> list[tuple[str, Any]]:
    """Events describing what changed since ``state`` (which is updated in place)."""
    out: list[tuple[str, Any]] = []
    active = service.store.list_sessions(status=SessionStatus.ACTIVE, limit=1000)
    now_active = {s.id: s.event_count for s in active}
    for s in active:
        before = state.active.get(s.id)
        if before is None:
            out.append(("session_start", service.live_entry(s)))
        elif before != s.event_count:
            out.append(("tokens", service.live_entry(s)))
    for sid in state.active.keys() - now_active.keys():
        ended = service.store.find_session(sid)
        if ended is not None:
            out.append(("session_end", session_to_dict(ended)))
        else:
            out.append(("session_end", {"id": sid, "status": "DELETED"}))
    state.active = now_active
    for row in q.alerts_after(service.store, state.last_alert_id):
        state.last_alert_id = max(state.last_alert_id, int(row["id"]))
        out.append(("alert", alert_to_dict(row)))
    return out


async def _events(request: Request, service: DashboardService, interval: float) -> AsyncIterator[str]:
    state = await run_in_threadpool(initial_state, service)
    yield "retry: 2000\n: connected\n\n"
    last_sent = time.monotonic()
    while True:
        await asyncio.sleep(interval)
        if await request.is_disconnected():
            return
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
