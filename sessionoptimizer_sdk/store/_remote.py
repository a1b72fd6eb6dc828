"""The one statement that creates a team server's remote session together with its host and source."""

from __future__ import annotations

from typing import Any

from ..models import Session
from ._rows import session_values

__all__ = [
    "CREATE_REMOTE_SESSION",
    "SOURCE_CLAUDE_CODE",
    "SOURCE_CODEX",
    "SOURCE_IMPORT",
    "SOURCE_SDK",
    "TELEMETRY_SOURCES",
    "one_copy",
    "remote_session_values",
]

#: ``sessions.source`` values.
SOURCE_SDK = "sdk"
SOURCE_CLAUDE_CODE = "claude_code"
SOURCE_CODEX = "codex"
SOURCE_IMPORT = "import"
#: Native telemetry, whose events a transcript import of the same session replaces.
TELEMETRY_SOURCES = (SOURCE_CLAUDE_CODE, SOURCE_CODEX)

#: PostgreSQL placeholders; SQLite replaces ``%s`` with ``?`` (both support ``ON CONFLICT DO NOTHING``).
CREATE_REMOTE_SESSION = (
    "INSERT INTO sessions (id, agent, task, model, status, started_at, ended_at, metadata, trace_id, span_id, "
    "host, source) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING"
)


def remote_session_values(session: Session, host: str | None, source: str) -> tuple[Any, ...]:
    """The parameters of ``CREATE_REMOTE_SESSION`` for ``session``."""
    return (*session_values(session), host, source)


def one_copy(current: str | None, incoming: str) -> tuple[bool, bool]:
    """(delete the session's stored events, skip the request's rows for it): one copy of a session, the transcript's.

    Decided from ``current``, the session's source read inside the write transaction (so two requests racing
    cannot both act on a source one of them is changing): an import over telemetry replaces its events;
    telemetry for an imported session is ignored.
    """
    if incoming == SOURCE_IMPORT:
        return current in TELEMETRY_SOURCES, False
    return False, incoming in TELEMETRY_SOURCES and current == SOURCE_IMPORT
