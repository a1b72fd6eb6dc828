"""Analyzer registry: loads the ``sessionoptimizer.analyzers`` entry points; a broken plugin is skipped and logged.

Built-ins register through the same entry-point door as third-party analyzers; if the package metadata is
missing (a source tree that was never installed) the built-ins are added directly so analysis still works.
"""

from __future__ import annotations

import threading
from typing import Any

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk._internal.plugins import load_entry_points

from .analyzers import BUILTIN_ANALYZERS
from .base import Analyzer

__all__ = ["ENTRY_POINT_GROUP", "load_analyzers", "reset_analyzers", "validate_analyzer"]

ENTRY_POINT_GROUP = "sessionoptimizer.analyzers"
_log = get_logger(__name__)
_lock = threading.Lock()
_loaded: tuple[Analyzer, ...] | None = None


def validate_analyzer(obj: Any) -> Analyzer:
    """Return an analyzer instance from an entry point's object (a class, factory or instance), or raise TypeError."""
    candidate = obj() if isinstance(obj, type) else obj
    if not isinstance(candidate, Analyzer):
        if callable(obj) and not isinstance(obj, type):
            candidate = obj()
        if not isinstance(candidate, Analyzer):
            raise TypeError(f"{obj!r} is not an analyzer (needs str 'name', int 'order' and 'analyze(ctx)')")
    if not isinstance(candidate.name, str) or not candidate.name:
        raise TypeError(f"analyzer {obj!r} has no name")
    if not isinstance(candidate.order, int) or isinstance(candidate.order, bool):
        raise TypeError(f"analyzer {candidate.name!r} has a non-integer order")
    return candidate


def load_analyzers(*, reload: bool = False) -> tuple[Analyzer, ...]:
    """Every registered analyzer, sorted by ``order`` then name (loaded once per process unless ``reload``)."""
    global _loaded
    with _lock:
        if _loaded is not None and not reload:
            return _loaded
        found = load_entry_points(ENTRY_POINT_GROUP, validate_analyzer, lambda a: a.name)
        for name, cls in BUILTIN_ANALYZERS.items():
            if name not in found:
                found[name] = cls()
        _loaded = tuple(sorted(found.values(), key=lambda a: (a.order, a.name)))
        return _loaded


def reset_analyzers() -> None:
    """Forget the loaded analyzers (tests that install plugins call this)."""
    global _loaded
    with _lock:
        _loaded = None
