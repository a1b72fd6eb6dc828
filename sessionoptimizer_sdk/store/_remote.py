"""The one statement that creates a team server's remote session together with its host and source."""

from __future__ import annotations

from typing import Any

from ..models import Session
from ._rows import session_values

__all__ = ["CREATE_REMOTE_SESSION", "remote_session_values"]

#: PostgreSQL placeholders; SQLite replaces ``%s`` with ``?`` (both support ``ON CONFLICT DO NOTHING``).
CREATE_REMOTE_SESSION = (
    "INSERT INTO sessions (id, agent, task, model, status, started_at, ended_at, metadata, trace_id, span_id, "
    "host, source) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING"
)


def remote_session_values(session: Session, host: str | None, source: str) -> tuple[Any, ...]:
    """The parameters of ``CREATE_REMOTE_SESSION`` for ``session``."""
    return (*session_values(session), host, source)
