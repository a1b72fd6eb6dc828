"""The store: SQLite under the home folder (embedded default) or PostgreSQL (teams), behind one interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Store
from .selection import open_store
from .sqlite import SQLiteStore

if TYPE_CHECKING:
    from .postgres import PostgresStore

__all__ = ["PostgresStore", "SQLiteStore", "Store", "open_store"]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":  # imported lazily: psycopg is an optional extra
        from .postgres import PostgresStore

        return PostgresStore
    raise AttributeError(name)
