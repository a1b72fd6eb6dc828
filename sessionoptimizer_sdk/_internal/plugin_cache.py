"""The last entry-point scan of a group, kept on disk while no folder on ``sys.path`` changed since it.

``importlib.metadata`` costs ~16 ms per process (~10 ms to import it, ~5 ms to scan every installed
distribution), 3% of a ``sessionoptimizer import`` of 50 MB. Installing, upgrading or removing a distribution
creates or deletes its ``*.dist-info`` folder, which changes the modification time of the ``sys.path`` folder
holding it; so the scan's result is reused while every ``sys.path`` entry has the (inode, mtime) it had when the
scan ran. A scan is kept only if nothing changed while it ran and no folder changed within :data:`RACY_SECONDS`
before the cache file was written (a second change in the same clock tick would go unseen; the file's own mtime
is the clock, so the pure analysis that loads its plugins reads none). The cache file lives beside the price
table (``$XDG_CACHE_HOME/sessionoptimizer``, 0600 in 0700) and any problem reading it means "scan"
(docs/decisions/import-speed.md).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from .rate_table import RateTable, cache_dir

__all__ = ["RACY_SECONDS", "CachedEntryPoint", "cached_points", "path_mark", "remember_points"]

#: A scan kept less than this after a ``sys.path`` folder changed is dropped (its mark may hide a change).
RACY_SECONDS = 2.0
_TABLE: RateTable | None = None
#: An entry point's value as importlib.metadata reads it: ``module.path[:attr.path][ [extras]]``, nothing else.
_VALUE = re.compile(r"[\w.]+\s*(:\s*[\w.]+\s*)?(\[[^\]]*\]\s*)?")


@dataclass(frozen=True, slots=True)
class CachedEntryPoint:
    """An entry point read back from the cache: its name, ``module:attr`` value and group."""

    name: str
    value: str
    group: str

    def load(self) -> Any:
        """Import the module and return the named attribute (what ``EntryPoint.load`` does)."""
        module, _, attr = self.value.partition(":")
        obj: Any = importlib.import_module(module.strip())
        attrs = attr.split("[", 1)[0].strip()  # extras ("[a,b]") name optional dependencies, not attributes
        for part in attrs.split(".") if attrs else ():
            obj = getattr(obj, part)
        return obj


def path_mark() -> tuple[str, int]:
    """(a digest of every ``sys.path`` entry's inode and mtime, the newest of those mtimes in nanoseconds)."""
    parts = []
    newest = 0
    for entry in sys.path:
        try:
            st = os.stat(entry or ".")
        except OSError:
            parts.append(f"{entry}\0-")
            continue
        parts.append(f"{entry}\0{st.st_ino}\0{st.st_mtime_ns}")
        newest = max(newest, st.st_mtime_ns)
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest(), newest


def _table() -> RateTable | None:
    global _TABLE
    folder = cache_dir()
    path = folder / "entry-points-v1.json" if folder is not None else None
    if path is None:
        return None
    if _TABLE is None or _TABLE.path != path:
        _TABLE = RateTable(path)
    return _TABLE


def cached_points(group: str, mark: str) -> list[CachedEntryPoint] | None:
    """The entry points of ``group`` from the scan made under ``mark``, or None (scan again)."""
    table = _table()
    saved = table.get(group) if table is not None else None
    if not isinstance(saved, dict) or saved.get("mark") != mark or not isinstance(saved.get("points"), list):
        return None
    points = saved["points"]
    if not all(
        isinstance(p, list)
        and len(p) == 2
        and isinstance(p[0], str)
        and isinstance(p[1], str)
        and _VALUE.fullmatch(p[1])
        for p in points
    ):  # only well-formed ``module:attr`` values from the file (it names modules on sys.path, never files)
        return None
    return [CachedEntryPoint(name, value, group) for name, value in points]


def remember_points(group: str, mark: tuple[str, int], points: list[tuple[str, str]]) -> None:
    """Keep a scan made under ``mark`` if nothing on ``sys.path`` changed while it ran, nor just before."""
    table = _table()
    if table is None or table.path is None or path_mark() != mark:
        return
    table.put(group, {"mark": mark[0], "points": [list(p) for p in points]})
    written = os.stat(table.path).st_mtime_ns  # the filesystem's clock, as the folders' mtimes
    if written - mark[1] < RACY_SECONDS * 1e9:
        table.put(group, None)  # a folder changed just before: a second change in that tick would go unseen
