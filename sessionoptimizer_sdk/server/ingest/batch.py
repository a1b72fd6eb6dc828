"""What one OTLP request turned into: event rows, session roots, the sessions it touches, and rejections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..._internal.tokens import MAX_TOKENS
from ...models import Session

__all__ = ["Batch", "SessionSeen"]

#: Largest token count stored for one event (``MAX_TOKENS``, 2**40): a wire value beyond it cannot be real and
#: must not overflow SQLite's 64-bit integers (or PostgreSQL's bigint) in session totals.
MAX_COUNT = MAX_TOKENS


@dataclass(slots=True)
class SessionSeen:
    """A session mentioned by a request: enough to create it if the server has not seen it yet."""

    id: str
    agent: str | None
    host: str | None
    source: str
    first_ts: float
    trace_id: str | None = None
    span_id: str | None = None
    model: str | None = None


@dataclass(slots=True)
class Batch:
    """The decoded content of one request, ready for authorisation and writing."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    roots: list[Session] = field(default_factory=list)
    seen: dict[str, SessionSeen] = field(default_factory=dict)
    accepted: int = 0
    ignored: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        """Count one item refused for ``reason``."""
        self.rejected += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def see(self, seen: SessionSeen) -> None:
        """Remember a session (keeping its earliest time and any ids or model learned)."""
        known = self.seen.get(seen.id)
        if known is None:
            self.seen[seen.id] = seen
            return
        known.first_ts = min(known.first_ts, seen.first_ts)
        known.trace_id = known.trace_id or seen.trace_id
        known.span_id = known.span_id or seen.span_id
        known.model = known.model or seen.model
        known.agent = known.agent or seen.agent

    def touch(self, sid: str, ts: float, agent: str | None, model: str | None = None) -> bool:
        """Update an already seen session as ``see`` would (True), or False when it is not seen yet.

        The per-item fast path: most items of a request belong to a session seen earlier in it.
        """
        known = self.seen.get(sid)
        if known is None:
            return False
        if ts < known.first_ts:
            known.first_ts = ts
        known.model = known.model or model
        known.agent = known.agent or agent
        return True

    def drop_session(self, session_id: str, reason: str) -> None:
        """Remove everything of one session from the batch, counting each item as rejected."""
        rows = [r for r in self.rows if r[1] == session_id]
        roots = [r for r in self.roots if r.id == session_id]
        self.rows = [r for r in self.rows if r[1] != session_id]
        self.roots = [r for r in self.roots if r.id != session_id]
        for _ in range(max(1, len(rows) + len(roots))):
            self.reject(reason)
        self.accepted = max(0, self.accepted - max(1, len(rows) + len(roots)))
        self.seen.pop(session_id, None)
