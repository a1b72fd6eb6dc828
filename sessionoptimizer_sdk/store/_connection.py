"""Opening the SQLite database: private file modes, WAL, busy timeout, and schema migrations."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from .._internal.privatedir import make_private_dirs
from ..errors import StoreError
from .schema import EVENTS_LAYOUT, MIGRATIONS, SCHEMA_VERSION

__all__ = ["ensure_private_file", "migrate", "open_connection"]

BUSY_TIMEOUT_MS = 30_000


def ensure_private_file(path: Path) -> bool:
    """Create the store folder (0700) and database file (0600) before SQLite opens it; True if it created the file."""
    try:
        make_private_dirs(path.parent)
        if path.exists():
            return False
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        return True
    except OSError as exc:
        raise StoreError(f"cannot create the store at {path}: {exc.strerror or exc}") from exc


def open_connection(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a connection in autocommit mode (transactions are explicit ``BEGIN IMMEDIATE``)."""
    try:
        if read_only:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: every COMMIT fsyncs the WAL, so an acknowledged batch survives an OS crash or a filesystem
            # abort (NORMAL loses them); batched commits make the cost small (benchmarks/bench_store.py).
            conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store at {path}: {exc}") from exc
    return conn


def _current_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations under an exclusive write lock; return the schema version."""
    if _current_version(conn) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _current_version(conn)  # re-read under the lock: another process may have migrated
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store's schema version {version} is newer than this SessionOptimizer "
                f"supports ({SCHEMA_VERSION}); upgrade the package"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            if number == _REBUILD_EVENTS_AT:
                _drop_store_wide_event_ids(conn)
            for statement in _split(script):
                if not _adds_existing_column(conn, statement):
                    conn.execute(statement)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


_ADD_COLUMN = re.compile(r"^ALTER TABLE (\w+) ADD COLUMN (\w+)", re.I)
_REBUILD_EVENTS_AT = 5  #: the schema version whose migration removes a store-wide unique event id


def _drop_store_wide_event_ids(conn: sqlite3.Connection) -> None:
    """Rebuild the events table in today's layout when it still has pre-release builds' ``id ... UNIQUE``.

    That column constraint made event ids unique across the whole store, so an event whose id another session
    had used was ignored without a word; no ``CREATE INDEX`` or ``DROP INDEX`` can remove it. Rows, ``seq``s and
    session totals are kept as they are. Runs inside the migration's write transaction.
    """
    unique_on_id = False
    for _seq, name, unique, origin, *_rest in conn.execute("PRAGMA index_list(events)").fetchall():
        indexed = [row[2] for row in conn.execute(f"PRAGMA index_info({_quoted(name)})")]
        unique_on_id = unique_on_id or (bool(unique) and origin == "u" and indexed == ["id"])
    if not unique_on_id:
        return
    for statement in (
        "DROP TRIGGER IF EXISTS events_after_insert",
        "DROP TRIGGER IF EXISTS events_after_delete",
        "DROP TRIGGER IF EXISTS events_after_update",
        "DROP INDEX IF EXISTS idx_events_session",
        "DROP INDEX IF EXISTS idx_events_id",
        "ALTER TABLE events RENAME TO events_prerelease",
    ):
        conn.execute(statement)
    for statement in _split(EVENTS_LAYOUT):
        conn.execute(statement)
    columns = ", ".join(row[1] for row in conn.execute("PRAGMA table_info(events)"))
    conn.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM events_prerelease")
    conn.execute("DROP TABLE events_prerelease")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _adds_existing_column(conn: sqlite3.Connection, statement: str) -> bool:
    """True for an ``ALTER TABLE t ADD COLUMN c`` whose column exists (SQLite has no ``IF NOT EXISTS``)."""
    match = _ADD_COLUMN.match(statement)
    if match is None:
        return False
    table, column = match.groups()
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info({table})"))


def _split(script: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
