"""Opening the SQLite database: private file modes, WAL, busy timeout, and schema migrations."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from pathlib import Path

from .._internal.privatedir import make_private_dirs
from ..errors import StoreError
from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["ensure_private_file", "migrate", "open_connection"]

BUSY_TIMEOUT_MS = 30_000


def ensure_private_file(path: Path) -> None:
    """Create the store folder (0700) and database file (0600) before SQLite opens it with looser modes."""
    try:
        make_private_dirs(path.parent)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
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
        for script in MIGRATIONS[version:]:
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
