"""Choosing the store from a URL: SQLite under the home folder by default, PostgreSQL for teams."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreError
from .base import Store

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["open_store"]


def open_store(url: str | None, settings: Settings) -> Store:
    """Open the store named by ``url`` (else ``settings.store_url``, else SQLite in ``settings.home``).

    ``postgresql://user@host:port/db`` (or ``postgres://``) selects PostgreSQL; ``sqlite:///path/to/file.db``
    a SQLite file (the path is everything after ``sqlite://``). Anything else, an unreachable server or a
    file that cannot be created raises :class:`StoreError` naming the place and the reason, never a password.
    """
    chosen = url if url is not None else settings.store_url
    if not chosen:
        from .sqlite import SQLiteStore

        return SQLiteStore(settings.db_path)
    scheme = chosen.partition("://")[0].lower()
    if scheme in {"postgresql", "postgres"}:
        from .postgres import PostgresStore

        return PostgresStore(chosen)
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        path = chosen[len("sqlite://") :]
        if not path or path == "/":
            raise StoreError(f"store URL {chosen!r} names no file (use sqlite:///path/to/file.db)")
        return SQLiteStore(Path(path).expanduser())
    from ._pg_connection import redact

    raise StoreError(
        f"unsupported store URL {redact(chosen)!r}: use postgresql://user@host:port/db or sqlite:///path"
    )
