"""SQLite implementation of the store: one WAL database file shared safely by many processes.

Writes use ``BEGIN IMMEDIATE`` so concurrent writer processes queue on the busy timeout instead of failing; a
row is acknowledged only after COMMIT. Each thread of each process gets its own connection (never shared across
fork).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

from .._internal.jsonsafe import dumps
from .._internal.log import get_logger
from ..errors import SessionAlreadyExists, SessionNotFound, StoreError
from ..models import Session, SessionEvent, SessionStatus
from ._connection import ensure_private_file, migrate, open_connection
from ._remote import CREATE_REMOTE_SESSION, one_copy, remote_session_values
from ._rows import (
    EVENT_COLUMNS,
    EVENT_LOAD_COLUMNS,
    SESSION_COLUMNS,
    event_to_row,
    events_from_rows,
    names_parent,
    session_filter,
    session_from_row,
    session_values,
    subagents_query,
    to_ts,
)
from ._sqlite_team import SQLiteTeamMethods
from .base import Owner, RemoteOrigin, SessionEnd
from .schema import ADD_INSERTED_TOTALS, SCHEMA_VERSION

__all__ = ["Owner", "SQLiteStore", "SessionEnd"]

_log = get_logger(__name__)

_EVENT_WIDTH = len(EVENT_COLUMNS.split(","))
_INSERT_HEAD = f"INSERT OR IGNORE INTO events ({EVENT_COLUMNS}) VALUES "
_UPSERT_HEAD = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES "
_UPSERT_TAIL = (
    " ON CONFLICT(session_id, id) DO UPDATE SET type=excluded.type, ts=excluded.ts, "
    "duration_ms=excluded.duration_ms, name=excluded.name, is_error=excluded.is_error, "
    "error_type=excluded.error_type, input_tokens=excluded.input_tokens, output_tokens=excluded.output_tokens, "
    "cache_read_tokens=excluded.cache_read_tokens, cache_write_tokens=excluded.cache_write_tokens, "
    "reasoning_tokens=excluded.reasoning_tokens, data=excluded.data"
)
#: Event rows per multi-row ``INSERT ... VALUES (..),(..)``: SQLite then inserts a whole chunk in one
#: ``sqlite3_step`` (one GIL release) instead of one per row, which measured 20 - 30% more rows per second than
#: ``executemany`` on the writer's batches (docs/decisions/multi-row-insert.md).
_CHUNK_ROWS = 128
_UPSERT_SESSION = (
    "INSERT INTO sessions (id, agent, task, model, status, started_at, ended_at, metadata, "
    "trace_id, span_id) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
    "agent=excluded.agent, task=excluded.task, model=excluded.model, status=excluded.status, "
    "started_at=min(started_at, excluded.started_at), ended_at=excluded.ended_at, "
    "metadata=excluded.metadata"
)
_SET_CURSOR = "INSERT OR REPLACE INTO cursors (key, value, updated_at) VALUES (?,?,?)"
#: A session's (host, source) with the fallbacks described in ``SQLiteStore.session_origins``.
#: SQLite's largest rowid: past it new rows get random rowids, not ``max + 1``.
_MAX_ROWID = 2**63 - 1
_END_SESSION = "UPDATE sessions SET status = ?, ended_at = ? WHERE id = ? AND status = 'ACTIVE'"
_CREATE_REMOTE = CREATE_REMOTE_SESSION.replace("%s", "?")
_KEEP_ORIGIN = "UPDATE sessions SET host = coalesce(host, ?), source = coalesce(source, ?) WHERE id = ?"
_REPLACE_ORIGIN = "UPDATE sessions SET host = coalesce(?, host), source = coalesce(?, source) WHERE id = ?"


class SQLiteStore(SQLiteTeamMethods):
    """The embedded store at ``path`` (created 0600 in a 0700 folder, migrated on open)."""

    backend = "sqlite"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        ensure_private_file(self.path)
        self._local = threading.local()
        self._closed = False
        self._reopen_lock = threading.Lock()
        self._ident: tuple[int, int] | None = None  # (device, inode) of the file this store writes
        #: Times this process found its store file deleted or replaced and reopened it (also a counter).
        self.replacements = 0
        conn = self._conn()
        try:
            self.schema_version = migrate(conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot initialise the store at {self.path}: {exc}") from exc

    @property
    def location(self) -> str:
        """The database file's path."""
        return str(self.path)

    # --- connections and transactions ------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == pid:
            if _file_ident(self.path) == self._local.ident:
                return conn
            with contextlib.suppress(
                sqlite3.Error
            ):  # deleted or replaced: writes would vanish with the old inode
                conn.close()
        return self._open_local()

    def _open_local(self) -> sqlite3.Connection:
        """Open this thread's connection; notice (once per replacement) a file that is not the one we had."""
        with self._reopen_lock:
            created = ensure_private_file(self.path)
            conn = open_connection(self.path)
            ident = _file_ident(self.path)
            # a deleted file recreated here may get the freed inode number back: created counts as replaced too
            replaced = self._ident is not None and (created or ident != self._ident)
            if replaced:
                migrate(conn)  # a recreated file is empty; a restored one may be older
            self._ident = ident
        self._local.conn, self._local.pid, self._local.ident = conn, os.getpid(), ident
        if replaced:
            self.replacements += 1
            _log.warning(
                "store file deleted or replaced while in use: reopened it (events written to the old file "
                "since the last check are in the old file only)",
                path=str(self.path),
            )
            self.add_counter("store_file_replaced", 1)
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), rolled back on any error."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection (other threads' connections close when they are collected)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- sessions ---------------------------------------------------------------------------------
    def create_session(self, session: Session, *, owner: Owner | None = None) -> None:
        """Insert a new ACTIVE session; raise SessionAlreadyExists if the id is taken."""
        pid, host, start = owner if owner else (None, None, None)
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO sessions (id, agent, task, model, status, started_at, ended_at, metadata, "
                    "trace_id, span_id, owner_pid, owner_host, owner_start) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*session_values(session), pid, host, start),
                )
        except sqlite3.IntegrityError:
            raise SessionAlreadyExists(f"a session with id {session.id!r} already exists") from None

    def upsert_session(self, session: Session) -> None:
        """Insert a session, or update task/model/status/ended_at/metadata of the existing one (imports)."""
        with self.transaction() as conn:
            conn.execute(_UPSERT_SESSION, session_values(session))

    def find_session(self, session_id: str) -> Session | None:
        """Return the session or None."""
        row = (
            self._conn()
            .execute(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,))
            .fetchone()
        )
        return session_from_row(row) if row else None

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
        where, params = session_filter(agent, status, since, until)
        sql = f"SELECT {SESSION_COLUMNS} FROM sessions{where} ORDER BY started_at DESC, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [session_from_row(r) for r in self._conn().execute(sql, params)]

    def list_subagents(self, parent_id: str, *, since: datetime) -> list[Session]:
        """Sessions started since ``since`` naming ``parent_id`` as their parent, newest first."""
        sql, params = subagents_query(since)
        sessions = (session_from_row(r) for r in self._conn().execute(sql, params))
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
        where, params = session_filter(agent, status, since, until)
        row = self._conn().execute(f"SELECT count(*) FROM sessions{where}", params).fetchone()
        return int(row[0])

    def active_sessions_with_owner(self) -> list[tuple[str, int | None, str | None, str | None]]:
        """(id, owner pid, owner host, owner start marker) of every ACTIVE session (for recovery)."""
        sql = "SELECT id, owner_pid, owner_host, owner_start FROM sessions WHERE status = 'ACTIVE'"
        return list(self._conn().execute(sql))

    def mark_abandoned(self, session_ids: Sequence[str]) -> int:
        """Mark ACTIVE sessions ABANDONED, ended at their last flushed event (or start)."""
        with self.transaction() as conn:
            cur = conn.executemany(
                "UPDATE sessions SET status = 'ABANDONED', ended_at = coalesce(last_event_at, started_at) "
                "WHERE id = ? AND status = 'ACTIVE'",
                [(sid,) for sid in session_ids],
            )
            return cur.rowcount

    def end_session(self, session_id: str, status: SessionStatus, ended_at: datetime) -> bool:
        """Set an ACTIVE session's final status; False if it was not ACTIVE."""
        with self.transaction() as conn:
            cur = conn.execute(_END_SESSION, (status.value, to_ts(ended_at), session_id))
            return cur.rowcount == 1

    def delete_session(self, session_id: str) -> bool:
        """Delete a session with its events, report, alerts; False if it did not exist."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
            conn.execute("DELETE FROM reports WHERE session_id = ?", (session_id,))
            conn.execute("DELETE FROM alerts WHERE session_id = ?", (session_id,))
            return conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount == 1

    # --- events -------------------------------------------------------------------------------------
    def write_batch(
        self, rows: Sequence[tuple[Any, ...]], ends: Sequence[SessionEnd] = (), *, seqs: bool = False
    ) -> int | None:
        """Insert event rows (ignoring known ids) and then apply session ends, in one transaction.

        With ``seqs``, returns the ``seq`` of the first row when every row was stored, with consecutive ``seq``s
        in row order (the live analysis takes them from the writer instead of reading them back); else None.
        """
        first: int | None = None
        with self.transaction() as conn:
            if rows:
                before = _max_seq(conn)
                inserted = _insert_rows(conn, _INSERT_HEAD, "", rows)
                # Under the write lock a new rowid is max(rowid) + 1 (no AUTOINCREMENT) below the largest one.
                if seqs and inserted == len(rows) and before + inserted < _MAX_ROWID:
                    first = before + 1
                conn.execute(ADD_INSERTED_TOTALS, (before,))
            if ends:
                conn.executemany(_END_SESSION, [(status, ended, sid) for sid, status, ended in ends])
        return first

    def commit_remote_batch(
        self, origins: Sequence[RemoteOrigin], rows: Sequence[tuple[Any, ...]], roots: Sequence[Session] = ()
    ) -> None:
        """In one transaction: record ``origins``, insert ``rows`` (ignoring known ids), upsert ``roots``.

        All or nothing: a failed write leaves no placeholder, deleted event or changed origin behind.
        """
        with self.transaction() as conn:
            ignored = {o.session_id for o in origins if _record_origin(conn, o)}
            if ignored:
                rows = [r for r in rows if r[1] not in ignored]
            if rows:
                before = _max_seq(conn)
                _insert_rows(conn, _INSERT_HEAD, "", rows)
                conn.execute(ADD_INSERTED_TOTALS, (before,))
            for root in roots:
                conn.execute(_UPSERT_SESSION, session_values(root))

    def insert_events(self, events: Sequence[SessionEvent], *, replace: bool = False) -> int:
        """Insert events idempotently by id (or overwrite same-id rows); return rows inserted or changed."""
        if not events:
            return 0
        with self.transaction() as conn:
            before = _max_seq(conn)
            head, tail = (_UPSERT_HEAD, _UPSERT_TAIL) if replace else (_INSERT_HEAD, "")
            changed = _insert_rows(conn, head, tail, [event_to_row(e) for e in events])  # direct changes only
            conn.execute(ADD_INSERTED_TOTALS, (before,))  # rows new to the store (replaced rows: trigger)
            return changed

    def get_events(self, session_id: str, *, limit: int | None = None, offset: int = 0) -> list[SessionEvent]:
        """A session's events in time order."""
        sql = f"SELECT {EVENT_LOAD_COLUMNS} FROM events WHERE session_id = ? ORDER BY ts, seq"
        params: list[Any] = [session_id]
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return events_from_rows(self._conn().execute(sql, params), session_id)

    def get_events_after(
        self, session_id: str, after_seq: int, *, limit: int | None = None
    ) -> list[SessionEvent]:
        """A session's events stored after ``after_seq`` (insertion order, ``seq`` ascending; at most ``limit``)."""
        # After a seen row: walk the rowid range (the rows stored since, O(new rows)); the session index would
        # visit every row of the session on each call. From the start: the session index.
        where = "+session_id = ? AND seq > ?" if after_seq > 0 else "session_id = ? AND seq > ?"
        sql = f"SELECT {EVENT_LOAD_COLUMNS} FROM events WHERE {where} ORDER BY seq LIMIT ?"
        rows = self._conn().execute(sql, (session_id, after_seq, -1 if limit is None else limit))
        return events_from_rows(rows, session_id)

    def count_events(self, session_id: str | None = None) -> int:
        """Events in one session, or in the whole store."""
        if session_id is None:
            return int(self._conn().execute("SELECT count(*) FROM events").fetchone()[0])
        sql = "SELECT count(*) FROM events WHERE session_id = ?"
        return int(self._conn().execute(sql, (session_id,)).fetchone()[0])

    # --- reports and alerts ---------------------------------------------------------------------
    def save_report(
        self, session_id: str, agent: str, report: Mapping[str, Any], *, at: float | None = None
    ) -> None:
        """Store (replace) a session's latest report JSON with its headline numbers (generated at ``at``)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO reports (session_id, agent, generated_at, provisional, "
                "efficiency_score, total_waste_tokens, cost_usd, report) VALUES (?,?,?,?,?,?,?,?)",
                (
                    session_id,
                    agent,
                    time.time() if at is None else at,
                    int(bool(report.get("provisional"))),
                    float(report.get("efficiency_score", 0.0)),
                    int(report.get("total_waste_tokens", 0)),
                    report.get("cost_usd"),
                    dumps(report),
                ),
            )

    def get_report(self, session_id: str) -> dict[str, Any] | None:
        """The stored report JSON of a session, or None."""
        row = (
            self._conn().execute("SELECT report FROM reports WHERE session_id = ?", (session_id,)).fetchone()
        )
        return json.loads(row[0]) if row else None

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
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO alerts (session_id, agent, rule, priority, message, created_at, payload) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    session_id,
                    agent,
                    rule,
                    priority,
                    message,
                    time.time() if at is None else at,
                    dumps(payload),
                ),
            )
            return cur.rowcount == 1

    def update_alert(self, session_id: str, rule: str, message: str, payload: Mapping[str, Any]) -> bool:
        """Replace the message and payload of the (session, rule) alert; False if there is none."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE alerts SET message = ?, payload = ? WHERE session_id = ? AND rule = ?",
                (message, dumps(payload), session_id, rule),
            )
            return cur.rowcount == 1

    def list_alerts(
        self, *, session_id: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Stored alerts, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if session_id is not None:
            clauses.append("session_id = ?")
            params.append(session_id)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(to_ts(since))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (
            "SELECT id, session_id, agent, rule, priority, message, created_at, payload FROM alerts"
            f"{where} ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        rows = self._conn().execute(sql, [*params, limit])
        keys = ("id", "session_id", "agent", "rule", "priority", "message", "created_at", "payload")
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["payload"] = json.loads(item["payload"])
            out.append(item)
        return out

    # --- import cursors and counters ------------------------------------------------------------
    def get_cursor(self, key: str) -> dict[str, Any] | None:
        """An importer's saved position for ``key`` (a file path), or None."""
        row = self._conn().execute("SELECT value FROM cursors WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_cursor(self, key: str, value: Mapping[str, Any]) -> None:
        """Save an importer's position for ``key``."""
        with self.transaction() as conn:
            conn.execute(_SET_CURSOR, (key, dumps(value), time.time()))

    def import_batch(
        self, session: Session, events: Sequence[SessionEvent], cursor_key: str, cursor: Mapping[str, Any]
    ) -> int:
        """Upsert an imported session, overwrite its same-id events and save the cursor, in one transaction."""
        rows = [event_to_row(e) for e in events]  # encoded before the write lock is taken
        state = dumps(cursor)
        with self.transaction() as conn:
            conn.execute(_UPSERT_SESSION, session_values(session))  # first: the totals below add to its row
            if rows:
                before = _max_seq(conn)
                _insert_rows(conn, _UPSERT_HEAD, _UPSERT_TAIL, rows)
                conn.execute(ADD_INSERTED_TOTALS, (before,))  # new rows; replaced ones: the update trigger
            conn.execute(_SET_CURSOR, (cursor_key, state, time.time()))
        return len(rows)

    def add_counter(self, name: str, delta: int) -> None:
        """Add ``delta`` to a persistent counter (e.g. dropped events), shown by ``doctor``."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (name, delta),
            )

    def counters(self) -> dict[str, int]:
        """All persistent counters."""
        return {name: value for name, value in self._conn().execute("SELECT name, value FROM counters")}

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement (portable SQL, ``?`` placeholders)."""
        return [tuple(row) for row in self._conn().execute(sql, tuple(params))]

    def info(self) -> dict[str, Any]:
        """Facts for ``doctor``: path, schema version, file modes, sizes and counts."""
        files = {}
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{self.path}{suffix}")
            if p.exists():
                st = p.stat()
                files[p.name] = {"mode": oct(st.st_mode & 0o777), "bytes": st.st_size}
        return {
            "backend": self.backend,
            "path": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "folder_mode": oct(self.path.parent.stat().st_mode & 0o777),
            "files": files,
            "sessions": self.count_sessions(),
            "events": self.count_events(),
            "counters": self.counters(),
        }


def _file_ident(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _record_origin(conn: sqlite3.Connection, origin: RemoteOrigin) -> bool:
    """Create the session with its host and source if new, else record them; True if its rows are to be skipped.

    Runs inside the write transaction (``BEGIN IMMEDIATE``: writers one at a time), so the source it reads is the
    one this write changes: an import replaces telemetry events once, however requests interleave.
    """
    if origin.placeholder is not None:
        values = remote_session_values(origin.placeholder, origin.host, origin.source)
        if conn.execute(_CREATE_REMOTE, values).rowcount == 1:
            return False
    row = conn.execute("SELECT source FROM sessions WHERE id = ?", (origin.session_id,)).fetchone()
    delete, skip = one_copy(row[0] if row else None, origin.source)
    if skip:
        return True
    if delete:  # the delete trigger takes the events out of the session's totals
        conn.execute("DELETE FROM events WHERE session_id = ?", (origin.session_id,))
    statement = _REPLACE_ORIGIN if origin.replace else _KEEP_ORIGIN
    conn.execute(statement, (origin.host, origin.source, origin.session_id))
    return False


def _insert_rows(conn: sqlite3.Connection, head: str, tail: str, rows: Sequence[tuple[Any, ...]]) -> int:
    """Run ``head (row) tail`` for each event row, in row order, as chunked multi-row statements; rows changed.

    Same effect, row for row, as ``executemany`` of the one-row statement (rows are processed in order, so
    a later row conflicts with an earlier one as it would there); the tail of the batch takes that path.
    """
    per = min(_CHUNK_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // _EVENT_WIDTH)
    full = len(rows) - len(rows) % per if per > 1 else 0
    changed = 0
    if full:
        chunk_sql = _values_sql(head, tail, per)
        for start in range(0, full, per):
            changed += conn.execute(chunk_sql, list(chain.from_iterable(rows[start : start + per]))).rowcount
    if full < len(rows):
        changed += conn.executemany(_values_sql(head, tail, 1), rows[full:]).rowcount
    return changed


@functools.cache
def _values_sql(head: str, tail: str, rows: int) -> str:
    """The statement inserting ``rows`` event rows at once (built once per size: SQLite caches it prepared)."""
    one = "(" + ",".join("?" * _EVENT_WIDTH) + ")"
    return head + ",".join([one] * rows) + tail


def _max_seq(conn: sqlite3.Connection) -> int:
    """Highest event ``seq`` so far: rows inserted after this call in the same transaction get a larger one."""
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
