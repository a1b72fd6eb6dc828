"""PostgreSQL connections of one store: a psycopg-pool pool per process, retries, errors without the password."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..errors import StoreError, UnstorableValue
from ._pg_connection import (
    describe,
    import_psycopg,
    is_connection_error,
    migrate_pg,
    parse_url,
    redact,
    scrub,
)

__all__ = ["PgConnections"]

T = TypeVar("T")
_RETRY_STATES = {"40001", "40P01"}  # serialization failure, deadlock: the transaction is simply run again


class PgConnections:
    """Connections to the database at ``url``: migrated on open (StoreError when unreachable), pooled per process.

    A lost connection (server restart, failover) is retried with backoff for ``reconnect_timeout`` seconds; any
    other database error raises :class:`StoreError` naming ``host:port/db``, never the password.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 4,
        reconnect_timeout: float = 30.0,
        statement_timeout_ms: int = 0,
    ) -> None:
        self._psycopg = import_psycopg()
        self.errors = self._psycopg.errors
        self._url = url
        self._params = parse_url(url)
        self.where = describe(self._params)
        self._max = max(1, max_connections)
        self.reconnect_timeout = reconnect_timeout
        self._options: dict[str, Any] = {"autocommit": True, "connect_timeout": 5}
        if statement_timeout_ms:
            self._options["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
        self._lock = threading.Lock()
        self._pool_obj: Any = None
        self._pid = os.getpid()
        try:
            with self._psycopg.connect(url, **self._options) as conn:
                self.schema_version = migrate_pg(conn)
                self.server_version = int(conn.info.server_version)
        except self._psycopg.Error as exc:
            raise StoreError(
                f"cannot open the PostgreSQL store at {self.where}: {self._scrub(exc)}"
            ) from None

    @property
    def location(self) -> str:
        """The URL without its password."""
        return redact(self._url)

    def _scrub(self, exc: BaseException) -> str:
        return scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, self._url, self._params)

    def _pool(self) -> Any:
        if self._pool_obj is None or self._pid != os.getpid():
            with self._lock:
                if self._pool_obj is None or self._pid != os.getpid():
                    # A pool inherited through fork is abandoned, never closed: its sockets are the parent's.
                    pool = _pool_class()(
                        self._url,
                        min_size=1,
                        max_size=self._max,
                        kwargs=self._options,
                        open=False,
                        timeout=5.0,
                        num_workers=1,
                        name="sessionoptimizer",
                    )
                    pool.open(wait=False)
                    self._pool_obj, self._pid = pool, os.getpid()
        return self._pool_obj

    def run(self, fn: Callable[[Any], T], *, write: bool = False) -> T:
        """Run ``fn(conn)`` (in a transaction when ``write``), reconnecting after a lost connection."""
        deadline = time.monotonic() + self.reconnect_timeout
        delay, conflicts = 0.05, 0
        while True:
            try:
                with self._pool().connection() as conn:
                    if not write:
                        return fn(conn)
                    with conn.transaction():
                        return fn(conn)
            except self._psycopg.Error as exc:  # PoolTimeout is an OperationalError too
                if is_connection_error(exc) and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                if getattr(exc, "sqlstate", None) in _RETRY_STATES and conflicts < 5:
                    conflicts += 1
                    continue
                if isinstance(exc, (self._psycopg.DataError, self._psycopg.IntegrityError)):
                    raise UnstorableValue(f"PostgreSQL store at {self.where}: {self._scrub(exc)}") from None
                raise StoreError(f"PostgreSQL store at {self.where}: {self._scrub(exc)}") from None

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of one read statement."""
        return self.run(lambda conn: conn.execute(statement, params).fetchall())

    def close(self) -> None:
        """Close this process's pool (a later call opens a new one)."""
        with self._lock:
            pool, self._pool_obj = self._pool_obj, None
        if pool is not None and self._pid == os.getpid():
            pool.close(timeout=5)


_POOL_CLASS: Any = None


def _pool_class() -> Any:
    """A ConnectionPool that, collected unclosed, only signals its daemon workers to stop.

    The stock ``__del__`` joins them, which raises when the GC happens to run in one of those workers.
    """
    global _POOL_CLASS
    if _POOL_CLASS is None:
        from psycopg_pool import ConnectionPool

        class _Pool(ConnectionPool):
            def __del__(self) -> None:
                if not getattr(self, "_closed", True):
                    self._signal_stop_worker()

        _POOL_CLASS = _Pool
    return _POOL_CLASS
