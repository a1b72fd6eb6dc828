"""Pytest fixtures of the importer tests: a temporary store; a loud failure if fixtures are gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.importers._import_fixtures import CLAUDE_FILES, FIXTURES, SWE_FILES


@pytest.fixture(scope="session", autouse=True)
def _fixtures_present() -> None:
    """Fail loudly (never skip silently) when the shared real transcripts are missing."""
    assert CLAUDE_FILES, f"no Claude Code fixtures under {FIXTURES}"
    assert SWE_FILES, f"no SWE-agent fixtures under {FIXTURES}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh SQLite store in a temporary folder."""
    db = SQLiteStore(tmp_path / "home" / "sessionoptimizer.db")
    yield db
    db.close()
