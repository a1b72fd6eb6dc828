"""The store interface the pipeline depends on (the SQLite store is the embedded default)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from ..models import Session, SessionEvent, SessionStatus

__all__ = ["Store"]


class Store(Protocol):
    """What the recorder, the analysis wiring and the surfaces need from a store."""

    def create_session(self, session: Session, *, owner: tuple[int, str, str] | None = None) -> None:
        """Insert a new ACTIVE session."""

    def find_session(self, session_id: str) -> Session | None:
        """Return the session or None."""

    def get_session(self, session_id: str) -> Session:
        """Return the session or raise SessionNotFound."""

    def list_sessions(
        self,
        *,
        agent: str | None = None,
        status: SessionStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Session]:
        """Sessions newest first."""

    def end_session(self, session_id: str, status: SessionStatus, ended_at: datetime) -> bool:
        """Set an ACTIVE session's final status."""

    def delete_session(self, session_id: str) -> bool:
        """Delete a session and everything recorded for it."""

    def write_batch(
        self, rows: Sequence[tuple[Any, ...]], ends: Sequence[tuple[str, str, float]] = ()
    ) -> None:
        """Insert event rows and apply session ends atomically."""

    def insert_events(self, events: Sequence[SessionEvent], *, replace: bool = False) -> int:
        """Insert events idempotently by id."""

    def get_events(self, session_id: str, *, limit: int | None = None, offset: int = 0) -> list[SessionEvent]:
        """A session's events in time order."""

    def save_report(self, session_id: str, agent: str, report: Mapping[str, Any]) -> None:
        """Store a session's latest report."""
