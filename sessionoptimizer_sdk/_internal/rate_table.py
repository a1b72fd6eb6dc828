"""A small on-disk table of the per-token rates already read from genai-prices, so a new process skips loading it.

Loading genai-prices (its pydantic price database) costs ~0.25 CPU s, a third of a short ``sessionoptimizer
import``; the rates of the few models a user's sessions name fit in a few hundred bytes. The table lives in
``$XDG_CACHE_HOME/sessionoptimizer`` (default ``~/.cache/sessionoptimizer``), named after the size and mtime of the
installed price database, so upgrading genai-prices starts a new table. It is a cache: unreadable, corrupt or
unwritable means "ask the library", never an error (docs/decisions/import-speed.md).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .privatedir import make_private_dirs

__all__ = ["MAX_ENTRIES", "RateTable", "cache_dir", "default_table"]

#: Entries kept at most (a model per day each: years of a team's models, a few hundred KB).
MAX_ENTRIES = 2048


class RateTable:
    """JSON-able values by string key, read once from ``path`` and rewritten atomically on each new entry."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        """The stored value of ``key``, or None."""
        with self._lock:
            return self._load().get(key)

    def put(self, key: str, value: Any) -> None:
        """Remember ``value`` for ``key`` (merged with what other processes wrote meanwhile).

        Past :data:`MAX_ENTRIES` nothing new is kept: model names can come from untrusted senders (a team
        server's ingest), and the table is rewritten whole on each new entry.
        """
        with self._lock:
            entries = self._load()
            if key not in entries and len(entries) >= MAX_ENTRIES:
                return
            entries[key] = value
            if self.path is None:
                return
            merged = {**self._read(), **entries}
            self._entries = dict(list(merged.items())[:MAX_ENTRIES]) if len(merged) > MAX_ENTRIES else merged
            with contextlib.suppress(OSError, ValueError, TypeError):
                self._write(self._entries)

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            value = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        assert self.path is not None
        folder = self.path.parent
        make_private_dirs(folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh, separators=(",", ":"), allow_nan=False)
            os.replace(tmp, self.path)  # mkstemp made it 0600
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def cache_dir() -> Path | None:
    """``$XDG_CACHE_HOME/sessionoptimizer`` (default ``~/.cache/sessionoptimizer``), or None without a home."""
    root = os.environ.get("XDG_CACHE_HOME") or ""
    try:
        base = Path(root) if os.path.isabs(root) else Path.home() / ".cache"
    except RuntimeError:  # no home directory to expand
        return None
    return base / "sessionoptimizer"


def _database_mark() -> str | None:
    """``<size>-<mtime_ns>`` of genai-prices' bundled price data, found without importing the package."""
    try:
        spec = importlib.util.find_spec("genai_prices")
        if spec is None or spec.origin is None:
            return None
        st = (Path(spec.origin).parent / "data.py").stat()
    except (OSError, ImportError, ValueError):
        return None
    return f"{st.st_size}-{st.st_mtime_ns}"


_DEFAULT: RateTable | None = None
_DEFAULT_LOCK = threading.Lock()


def default_table() -> RateTable:
    """This process's table for the installed genai-prices (in memory only when there is no cache folder)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        folder, mark = cache_dir(), _database_mark()
        path = folder / f"rates-v1-{mark}.json" if folder is not None and mark is not None else None
        if _DEFAULT is None or _DEFAULT.path != path:
            _DEFAULT = RateTable(path)
        return _DEFAULT
