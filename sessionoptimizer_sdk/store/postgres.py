"""PostgreSQL implementation of the store, for a team's agents on several machines writing into one database.

psycopg 3 with a psycopg-pool pool per process (``_pg_pool.py``). Event batches go in by COPY with the session
totals summed here; a batch holding an already-stored id takes ``INSERT ... ON CONFLICT DO NOTHING`` instead,
whose inserted rows update the totals in the same statement, so a retried batch never doubles an event or a
total. A lost connection is retried for ``reconnect_timeout`` seconds (the writer's bounded queue holds events
meanwhile); any other database error raises :class:`StoreError` without the password.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .._internal.jsonsafe import dumps
from ..errors import SessionAlreadyExists, SessionNotFound
from ..models import Session, SessionEvent, SessionStatus
from . import _pg_sql as sql
from ._pg_pool import PgConnections
from ._pg_team import PgTeamMethods
from ._remote import CREATE_REMOTE_SESSION, one_copy
from ._rows import (
    EVENT_LOAD_COLUMNS,
    SESSION_COLUMNS,
    event_to_row,
    events_from_rows,
    names_parent,
    session_from_row,
    subagents_query,
    to_ts,
)
from .base import Owner, RemoteOrigin, SessionEnd

__all__ = ["PostgresStore"]


class PostgresStore(PgTeamMethods):
    """The store in the PostgreSQL database at ``url`` (migrated on open; StoreError when unreachable).

    The team server's and closing-the-loop's methods (origin, tokens, enablements) come from ``PgTeamMethods``.
    """

    backend = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 4,
        reconnect_timeout: float = 30.0,
        statement_timeout_ms: int = 0,
    ) -> None:
        self._db = PgConnections(
            url,
            max_connections=max_connections,
            reconnect_timeout=reconnect_timeout,
            statement_timeout_ms=statement_timeout_ms,
        )
        self._run = self._db.run
        self._fetch = self._db.fetch
        self.schema_version = self._db.schema_version
        self.server_version = self._db.server_version

    @property
    def location(self) -> str:
        """The store's URL without its password."""
        return self._db.location

    def close(self) -> None:
        """Close this process's pool (a later call opens a new one)."""
        self._db.close()

    # --- sessions ----------------------------------------------------------------------------------------
    def create_session(self, session: Session, *, owner: Owner | None = None) -> None:
        """Insert a new ACTIVE session; raise SessionAlreadyExists if the id is taken."""
        pid, host, start = owner if owner else (None, None, None)
        row = (*sql.session_values(session), pid, host, start)
        inserted = self._run(lambda c: c.execute(sql.CREATE_SESSION, row).rowcount, write=True)
        if inserted != 1:
            raise SessionAlreadyExists(f"a session with id {session.id!r} already exists")

    def upsert_session(self, session: Session) -> None:
        """Insert a session, or update task/model/status/ended_at/metadata of the existing one (imports)."""
        self._run(lambda c: c.execute(sql.UPSERT_SESSION, sql.session_values(session)), write=True)

    def find_session(self, session_id: str) -> Session | None:
        """Return the session or None."""
        rows = self._fetch(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = %s", (session_id,))
        return session_from_row(rows[0]) if rows else None

    def get_session(self, session_id: str) -> Session:
        """Return the session or raise SessionNotFound."""
        session = self.find_session(session_id)
        if session is None:
            raise SessionNotFound(f"no session with id {session_id!r}")
        return session

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
        """Sessions newest first, filtered by agent, status and start time."""
        where, params = sql.session_filter(agent, status, since, until)
        statement = f"SELECT {SESSION_COLUMNS} FROM sessions{where} ORDER BY started_at DESC, id"
        if limit is not None:
            statement += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        return [session_from_row(r) for r in self._fetch(statement, params)]

    def list_subagents(self, parent_id: str, *, since: datetime) -> list[Session]:
        """Sessions started since ``since`` naming ``parent_id`` as their parent, newest first."""
        statement, params = subagents_query(since, mark="%s")
        sessions = (session_from_row(r) for r in self._fetch(statement, params))
        return [s for s in sessions if names_parent(s, parent_id)]

    def count_sessions(
        self,
        *,
        agent: str | None = None,
        status: SessionStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many sessions match the filters."""
        where, params = sql.session_filter(agent, status, since, until)
        return int(self._fetch(f"SELECT count(*) FROM sessions{where}", params)[0][0])

    def active_sessions_with_owner(self) -> list[tuple[str, int | None, str | None, str | None]]:
        """(id, owner pid, owner host, owner start marker) of every ACTIVE session (for recovery)."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in self._fetch(
                "SELECT id, owner_pid, owner_host, owner_start FROM sessions WHERE status = 'ACTIVE'"
            )
        ]

    def mark_abandoned(self, session_ids: Sequence[str]) -> int:
        """Mark ACTIVE sessions ABANDONED, ended at their last flushed event (or start)."""
        return int(
            self._run(lambda c: c.execute(sql.MARK_ABANDONED, (list(session_ids),)).rowcount, write=True)
        )

    def end_session(self, session_id: str, status: SessionStatus, ended_at: datetime) -> bool:
        """Set an ACTIVE session's final status; False if it was not ACTIVE."""
        args = (status.value, to_ts(ended_at), session_id)
        return bool(self._run(lambda c: c.execute(sql.END_SESSION, args).rowcount == 1, write=True))

    def delete_session(self, session_id: str) -> bool:
        """Delete a session with its events, report, alerts; False if it did not exist."""

        def delete(conn: Any) -> bool:
            for table in ("events", "reports", "alerts"):
                conn.execute(f"DELETE FROM {table} WHERE session_id = %s", (session_id,))
            return bool(conn.execute("DELETE FROM sessions WHERE id = %s", (session_id,)).rowcount == 1)

        return self._run(delete, write=True)

    # --- events -----------------------------------------------------------------------------------------
    def _insert_rows(self, conn: Any, rows: list[tuple[Any, ...]]) -> int:
        """Insert typed rows, ignoring known ids; return how many were new.

        Fast path: COPY (several times faster than an INSERT) with totals summed here. A batch holding a known id
        (a retry, a re-import) fails the COPY at its savepoint and goes through ``INSERT ... ON CONFLICT``.
        """
        try:
            with conn.transaction(), conn.cursor().copy(sql.COPY_EVENTS) as copy:
                for row in rows:
                    copy.write_row(row)
        except self._db.errors.UniqueViolation:
            return int(conn.execute(sql.INSERT_EVENTS, sql.event_columns(rows)).fetchone()[0])
        conn.execute(sql.ADD_TOTALS, sql.totals(rows))
        return len(rows)

    def write_batch(
        self, rows: Sequence[tuple[Any, ...]], ends: Sequence[SessionEnd] = (), *, seqs: bool = False
    ) -> int | None:
        """Insert event rows (ignoring known ids) and then apply session ends, in one transaction.

        With ``seqs``, returns the first row's ``seq`` when every row was stored with consecutive ``seq``s (a
        concurrent writer's rows interleaved, or known ids skipped: None). COPY cannot return them: one more
        query (``currval`` and a primary-key range) checks which ``seq``s the rows got (drawn in row order).
        """
        typed = sql.typed_rows(rows)
        end_args = [(status, ended, sid) for sid, status, ended in ends]

        def write(conn: Any) -> int | None:
            first: int | None = None
            if typed and self._insert_rows(conn, typed) == len(typed) and seqs:
                n, (eid, sid) = len(typed), typed[0][:2]
                last, held, ours = conn.execute(sql.SEQ_RANGE, {"n": n, "sid": sid, "id": eid}).fetchone()
                if held == n and ours:
                    first = int(last) - n + 1
            if end_args:
                with conn.cursor() as cur:
                    cur.executemany(sql.END_SESSION, end_args)
            return first

        result: int | None = self._run(write, write=True)
        return result

    def commit_remote_batch(
        self, origins: Sequence[RemoteOrigin], rows: Sequence[tuple[Any, ...]], roots: Sequence[Session] = ()
    ) -> None:
        """In one transaction: record ``origins``, insert ``rows`` (ignoring known ids), upsert ``roots``.

        All or nothing: a failed write leaves no placeholder, deleted event or changed origin behind.
        """
        typed = sql.typed_rows(rows)
        root_values = [sql.session_values(root) for root in roots]

        def write(conn: Any) -> None:  # re-run whole after a conflict or a lost connection
            ignored = {o.session_id for o in origins if _record_origin(conn, o)}
            kept = [r for r in typed if r[1] not in ignored] if ignored else typed
            if kept:
                self._insert_rows(conn, kept)
            for values in root_values:
                conn.execute(sql.UPSERT_SESSION, values)

        self._run(write, write=True)

    def insert_events(self, events: Sequence[SessionEvent], *, replace: bool = False) -> int:
        """Insert events idempotently by id (or overwrite same-id rows); return rows inserted or changed."""
        if not events:
            return 0
        typed = sql.typed_rows([event_to_row(e) for e in events])

        def insert(conn: Any) -> int:
            inserted = self._insert_rows(conn, typed)
            if not replace:
                return inserted
            return int(conn.execute(sql.REPLACE_EVENTS, sql.event_columns(typed)).rowcount)

        return self._run(insert, write=True)

    def get_events(self, session_id: str, *, limit: int | None = None, offset: int = 0) -> list[SessionEvent]:
        """A session's events in time order."""
        statement = f"SELECT {EVENT_LOAD_COLUMNS} FROM events WHERE session_id = %s ORDER BY ts, seq"
        params: list[Any] = [session_id]
        if limit is not None:
            statement += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        return events_from_rows(self._fetch(statement, params), session_id)

    def get_events_after(
        self, session_id: str, after_seq: int, *, limit: int | None = None
    ) -> list[SessionEvent]:
        """A session's events stored after ``after_seq`` (insertion order, ``seq`` ascending; at most ``limit``)."""
        statement = f"SELECT {EVENT_LOAD_COLUMNS} FROM events WHERE session_id = %s AND seq > %s ORDER BY seq LIMIT %s"
        return events_from_rows(self._fetch(statement, (session_id, after_seq, limit)), session_id)

    def count_events(self, session_id: str | None = None) -> int:
        """Events in one session, or in the whole store."""
        if session_id is None:
            return int(self._fetch("SELECT count(*) FROM events")[0][0])
        return int(self._fetch("SELECT count(*) FROM events WHERE session_id = %s", (session_id,))[0][0])

    # --- reports and alerts -----------------------------------------------------------------------------
    def save_report(
        self, session_id: str, agent: str, report: Mapping[str, Any], *, at: float | None = None
    ) -> None:
        """Store (replace) a session's latest report JSON with its headline numbers (generated at ``at``)."""
        args = sql.report_values(session_id, agent, report, at)
        self._run(lambda c: c.execute(sql.SAVE_REPORT, args), write=True)

    def get_report(self, session_id: str) -> dict[str, Any] | None:
        """The stored report JSON of a session, or None."""
        rows = self._fetch("SELECT report FROM reports WHERE session_id = %s", (session_id,))
        return json.loads(rows[0][0]) if rows else None

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
        """Store an alert once per (session, rule), created at ``at`` (default now); True only the first time."""
        args = (session_id, agent, rule, priority, message, time.time() if at is None else at, dumps(payload))
        return bool(self._run(lambda c: c.execute(sql.INSERT_ALERT, args).rowcount == 1, write=True))

    def update_alert(self, session_id: str, rule: str, message: str, payload: Mapping[str, Any]) -> bool:
        """Replace the message and payload of the (session, rule) alert; False if there is none."""
        args = (message, dumps(payload), session_id, rule)
        return bool(self._run(lambda c: c.execute(sql.UPDATE_ALERT, args).rowcount == 1, write=True))

    def list_alerts(
        self, *, session_id: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Stored alerts, newest first."""
        statement, params = sql.alerts_query(session_id, to_ts(since), limit)
        return [sql.alert_dict(row) for row in self._fetch(statement, params)]

    # --- import cursors, counters, aggregates ---------------------------------------------------------
    def get_cursor(self, key: str) -> dict[str, Any] | None:
        """An importer's saved position for ``key`` (a file path), or None."""
        rows = self._fetch("SELECT value FROM cursors WHERE key = %s", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_cursor(self, key: str, value: Mapping[str, Any]) -> None:
        """Save an importer's position for ``key``."""
        self._run(lambda c: c.execute(sql.SET_CURSOR, (key, dumps(value), time.time())), write=True)

    def import_batch(
        self, session: Session, events: Sequence[SessionEvent], cursor_key: str, cursor: Mapping[str, Any]
    ) -> int:
        """Upsert an imported session, overwrite its same-id events and save the cursor, in one transaction."""
        typed = sql.typed_rows([event_to_row(e) for e in events]) if events else None
        state = dumps(cursor)

        def write(
            conn: Any,
        ) -> None:  # re-run whole on a conflict or a lost connection: every step is idempotent
            conn.execute(sql.UPSERT_SESSION, sql.session_values(session))
            if typed is not None:
                self._insert_rows(conn, typed)
                conn.execute(sql.REPLACE_EVENTS, sql.event_columns(typed))
            conn.execute(sql.SET_CURSOR, (cursor_key, state, time.time()))

        self._run(write, write=True)
        return len(events)

    def add_counter(self, name: str, delta: int) -> None:
        """Add ``delta`` to a persistent counter (e.g. dropped events), shown by ``doctor``."""
        self._run(lambda c: c.execute(sql.ADD_COUNTER, (name, delta)), write=True)

    def counters(self) -> dict[str, int]:
        """All persistent counters."""
        return {str(n): int(v) for n, v in self._fetch("SELECT name, value FROM counters")}

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement (portable SQL, ``?`` placeholders)."""
        return self._fetch(statement.replace("%", "%%").replace("?", "%s"), list(params))

    def info(self) -> dict[str, Any]:
        """Facts for ``doctor``: URL (no password), server and schema versions, counts and counters."""
        return {
            "backend": self.backend,
            "path": self.location,
            "server_version": self.server_version,
            "schema_version": self.schema_version,
            "sessions": self.count_sessions(),
            "events": self.count_events(),
            "counters": self.counters(),
        }


def _record_origin(conn: Any, origin: RemoteOrigin) -> bool:
    """Create the session with its host and source if new, else record them; True if its rows are to be skipped.

    The session row is locked (``FOR UPDATE``) before its source is read, so two requests racing for it decide
    one after the other: an import replaces telemetry events once, however requests interleave.
    """
    if origin.placeholder is not None:
        values = sql.remote_session_values(origin.placeholder, origin.host, origin.source)
        if conn.execute(CREATE_REMOTE_SESSION, values).rowcount == 1:
            return False
    row = conn.execute(
        "SELECT source FROM sessions WHERE id = %s FOR UPDATE", (origin.session_id,)
    ).fetchone()
    delete, skip = one_copy(row[0] if row else None, origin.source)
    if skip:
        return True
    if delete:
        conn.execute(sql.DELETE_EVENTS, (origin.session_id,))
    host = None if origin.host is None else sql.pg_text(origin.host)
    statement = sql.REPLACE_ORIGIN if origin.replace else sql.KEEP_ORIGIN
    conn.execute(statement, (host, origin.source, origin.session_id))
    return False
