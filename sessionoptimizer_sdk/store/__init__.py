"""The embedded store: a SQLite database under the SessionOptimizer home folder."""

from __future__ import annotations

from .base import Store
from .sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store"]
