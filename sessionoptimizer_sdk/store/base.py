"""The store interface every surface depends on, implemented by SQLite (embedded default) and PostgreSQL (teams)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from ..models import Session, SessionEvent, SessionStatus

__all__ = ["Owner", "RemoteOrigin", "SessionEnd", "Store"]

Owner = tuple[int, str, str]  # (pid, host, process start marker)
SessionEnd = tuple[str, str, float]  # (session_id, status, ended_at epoch seconds)


class RemoteOrigin(NamedTuple):
    """What a team server's batch records about one session, in the transaction that stores its rows."""

    session_id: str
    host: str | None
    source: str
    #: Inserted (with ``host`` and ``source``) when no session has this id yet.
    placeholder: Session | None = None
    #: Overwrite the recorded host and source instead of keeping the first known ones (a transcript import).
    #: Whether an import replaces telemetry events (or telemetry is ignored for an imported session) is decided
    #: by the store inside the write, from the source it reads there (``store._remote.one_copy``).
    replace: bool = False


class Store(Protocol):
    """What the recorder, the writer, the analysis, the importers and every surface need from a store.

    Rows use one representation on every backend: times are epoch seconds, JSON columns are text, booleans are
    0/1. ``query`` runs one read-only statement of the portable SQL subset (``?`` placeholders, no
    backend-specific functions) for the dashboard's aggregates.
    """

    #: ``"sqlite"`` or ``"postgresql"``.
    backend: str
    schema_version: int

    @property
    def location(self) -> str:
        """Where the store lives, safe to show (file path, or URL without password)."""

    def create_session(self, session: Session, *, owner: Owner | None = None) -> None:
        """Insert a new ACTIVE session; raise SessionAlreadyExists if the id is taken."""

    def upsert_session(self, session: Session) -> None:
        """Insert a session, or update the existing one's task/model/status/ended_at/metadata (imports)."""

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

    def list_subagents(self, parent_id: str, *, since: datetime) -> list[Session]:
        """Sessions started at or after ``since`` whose metadata names ``parent_id`` as ``parent_session_id``.

        Newest first, as ``list_sessions`` orders them. Only sessions that name a parent are decoded, so a live
        report's subagent lookup costs little however many sessions the store holds.
        """

    def count_sessions(
        self,
        *,
        agent: str | None = None,
        status: SessionStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many sessions match the filters."""

    def active_sessions_with_owner(self) -> list[tuple[str, int | None, str | None, str | None]]:
        """(id, owner pid, owner host, owner start marker) of every ACTIVE session."""

    def mark_abandoned(self, session_ids: Sequence[str]) -> int:
        """Mark ACTIVE sessions ABANDONED, ended at their last flushed event (or start)."""

    def end_session(self, session_id: str, status: SessionStatus, ended_at: datetime) -> bool:
        """Set an ACTIVE session's final status; False if it was not ACTIVE."""

    def delete_session(self, session_id: str) -> bool:
        """Delete a session and everything recorded for it."""

    def write_batch(
        self, rows: Sequence[tuple[Any, ...]], ends: Sequence[SessionEnd] = (), *, seqs: bool = False
    ) -> int | None:
        """Insert event rows (ignoring known ids) and apply session ends atomically.

        With ``seqs``: the first row's ``seq`` when all rows were stored with consecutive ``seq``s, else None.
        """

    def insert_events(self, events: Sequence[SessionEvent], *, replace: bool = False) -> int:
        """Insert events idempotently by id (or overwrite same-id rows); return rows inserted or changed."""

    def get_events(self, session_id: str, *, limit: int | None = None, offset: int = 0) -> list[SessionEvent]:
        """A session's events in time order."""

    def get_events_after(
        self, session_id: str, after_seq: int, *, limit: int | None = None
    ) -> list[SessionEvent]:
        """A session's events stored after ``after_seq`` (insertion order, ``seq`` ascending; at most ``limit``)."""

    def count_events(self, session_id: str | None = None) -> int:
        """Events in one session, or in the whole store."""

    def save_report(
        self, session_id: str, agent: str, report: Mapping[str, Any], *, at: float | None = None
    ) -> None:
        """Store (replace) a session's latest report, generated at epoch ``at`` (default now)."""

    def get_report(self, session_id: str) -> dict[str, Any] | None:
        """The stored report JSON of a session, or None."""

    def insert_alert(
        self,
        session_id: str,
        agent: str,
        rule: str,
        priority: str,
        message: str,
        payload: Mapping[str, Any],
        *,
        at: float | None = None,
    ) -> bool:
        """Store an alert once per (session, rule), created at epoch ``at`` (default now); True the first time."""

    def update_alert(self, session_id: str, rule: str, message: str, payload: Mapping[str, Any]) -> bool:
        """Replace the message and payload of the (session, rule) alert; False if there is none.

        The final report settles an alert a provisional report raised (new figures, or resolved).
        """

    def list_alerts(
        self, *, session_id: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Stored alerts, newest first."""

    def get_cursor(self, key: str) -> dict[str, Any] | None:
        """An importer's saved position for ``key``, or None."""

    def set_cursor(self, key: str, value: Mapping[str, Any]) -> None:
        """Save an importer's position for ``key``."""

    def import_batch(
        self, session: Session, events: Sequence[SessionEvent], cursor_key: str, cursor: Mapping[str, Any]
    ) -> int:
        """Upsert an imported session, overwrite its same-id events and save the cursor, in one transaction.

        Returns the events written. Either all of it is stored or none (a re-import then resumes before it).
        """

    def add_counter(self, name: str, delta: int) -> None:
        """Add ``delta`` to a persistent counter (e.g. dropped events)."""

    def counters(self) -> dict[str, int]:
        """All persistent counters."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement in portable SQL with ``?`` placeholders."""

    def info(self) -> dict[str, Any]:
        """Facts for ``doctor``: backend, location, schema version, counts, counters."""

    def close(self) -> None:
        """Release this process's connections."""

    # --- team server: session origin and tokens (schema version 3) ----------------------------------------
    def set_session_origin(
        self, session_id: str, *, host: str | None, source: str | None, replace: bool = False
    ) -> None:
        """Record a session's machine and source; the first known values are kept unless ``replace``."""

    def session_origins(self, session_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(host, source) of each given session that exists (owner host, ``sdk``/``import`` as fallbacks)."""

    def session_ids_by_origin(
        self, *, host: str | None = None, source: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Ids of the newest sessions recorded on ``host`` and/or from ``source``."""

    def idle_active_sessions(self, sources: Sequence[str], before: float) -> list[tuple[str, float]]:
        """(id, last event time) of ACTIVE sessions from ``sources`` with no event since ``before``."""

    def delete_events(self, session_id: str) -> int:
        """Delete a session's events (its totals follow); return how many."""

    def commit_remote_batch(
        self, origins: Sequence[RemoteOrigin], rows: Sequence[tuple[Any, ...]], roots: Sequence[Session] = ()
    ) -> None:
        """In one transaction: record ``origins``, insert ``rows`` (ignoring known ids), upsert ``roots``.

        A team server's request is all or nothing: a failed write leaves no placeholder, no deleted event
        and no changed origin behind.
        """

    def add_token(self, token_id: str, *, kind: str, agent: str | None, secret_sha256: str) -> None:
        """Store a token by public id and the SHA-256 of its secret (never the secret)."""

    def find_token(self, secret_sha256: str) -> dict[str, Any] | None:
        """The unrevoked token whose secret hashes to ``secret_sha256``, or None."""

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token (id, kind, agent, created_at, revoked_at), oldest first."""

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token by id; False if no such unrevoked token."""

    def count_tokens(self, kind: str) -> int:
        """How many unrevoked tokens of ``kind`` exist."""

    # --- closing the loop (schema version 4) --------------------------------------------------------------
    def record_enablement(
        self,
        agent: str,
        kind: str,
        *,
        action: str = "enabled",
        at: float | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Record that guidance or the guard was enabled/disabled for ``agent`` at epoch ``at`` (default now)."""

    def list_enablements(self, agent: str) -> list[dict[str, Any]]:
        """The agent's enablement records (kind, action, at, detail), oldest first."""
