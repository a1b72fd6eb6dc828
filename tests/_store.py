"""The store a test's surfaces use: ``$SESSIONOPTIMIZER_STORE`` if set (PostgreSQL runs), else SQLite in ``home``."""

from __future__ import annotations

from pathlib import Path

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.store import Store, open_store

__all__ = ["store_for"]


def store_for(home: Path) -> Store:
    """Open the same store the optimizer, CLI and server of this test open for ``home``."""
    return open_store(None, Settings.from_env(home))
