"""The importer registry: the built-in importers plus the ``sessionoptimizer.importers`` entry-point plugins.

A plugin that fails to load or lacks the :class:`~.base.Importer` Protocol's members is skipped with a logged
reason. Kept apart from :mod:`.base` so the format modules can import the value types without a cycle.
"""

from __future__ import annotations

import threading

from sessionoptimizer_sdk._internal.plugins import load_entry_points
from sessionoptimizer_sdk.errors import InvalidInputError

from .base import ENTRY_POINT_GROUP, Importer

__all__ = ["available_importers", "get_importer"]


def _builtin(name: str) -> Importer | None:
    """The built-in importer of source ``name`` (its module loaded on first use), or None."""
    with _lock:
        if name not in _loaded_builtins:
            if name == "claude-code":
                from .claude_code import ClaudeCodeImporter as Found
            elif name == "codex":
                from .codex import CodexImporter as Found  # type: ignore[assignment]
            elif name == "swe-agent":
                from .swe_agent import SweAgentImporter as Found  # type: ignore[assignment]
            else:
                return None
            _loaded_builtins[name] = Found()
        return _loaded_builtins[name]


def _builtins() -> dict[str, Importer]:
    return {name: imp for name in BUILTIN_SOURCES if (imp := _builtin(name)) is not None}


#: The sources handled without plugins (a plugin may add a source, never replace one of these).
BUILTIN_SOURCES = ("claude-code", "codex", "swe-agent")
_lock = threading.RLock()
_cache: dict[str, Importer] | None = None
_loaded_builtins: dict[str, Importer] = {}


def _validate_importer(obj: object) -> Importer:
    importer = obj() if isinstance(obj, type) else obj
    if not isinstance(importer, Importer):
        raise TypeError(f"{obj!r} does not implement the Importer protocol")
    return importer


def _load_plugins() -> dict[str, Importer]:
    """Built-in importers, plus plugins for sources no built-in handles."""
    found = _builtins()
    for name, importer in load_entry_points(ENTRY_POINT_GROUP, _validate_importer, lambda i: i.name).items():
        found.setdefault(name, importer)
    return found


def available_importers(*, reload: bool = False) -> dict[str, Importer]:
    """Every importer by source name: the built-ins plus the loadable entry-point plugins."""
    global _cache
    with _lock:
        if _cache is None or reload:
            _cache = _load_plugins()
        return dict(_cache)


def get_importer(source: str) -> Importer:
    """The importer for ``source`` or InvalidInputError naming the valid sources.

    A built-in source is answered without scanning the installed packages' entry points (plugins cannot replace
    a built-in, and the scan costs ~20 ms of ``sessionoptimizer import``'s start-up).
    """
    builtin = _builtin(source.strip().lower()) if isinstance(source, str) else None
    if builtin is not None:
        return builtin
    importers = available_importers()
    importer = importers.get(source.strip().lower()) if isinstance(source, str) else None
    if importer is None:
        valid = ", ".join(sorted(importers))
        raise InvalidInputError(f"unknown import source {source!r}; valid sources: {valid}")
    return importer
