"""Entry-point plugin loading shared by every registry (analyzers, importers, adapters).

A plugin that fails to import or to validate is skipped with a logged reason; it never stops the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from .log import get_logger

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from .plugin_cache import CachedEntryPoint

__all__ = ["load_entry_points"]

T = TypeVar("T")
_log = get_logger("sessionoptimizer.plugins")


def entry_points(*, group: str) -> Iterable[EntryPoint | CachedEntryPoint]:
    """``importlib.metadata.entry_points(group=group)``; the last scan's result while ``sys.path`` is unchanged.

    The scan (and loading ``importlib.metadata``, ~16 ms of start-up) runs only when a folder on ``sys.path``
    changed since the cached scan (a distribution installed, upgraded or removed): :mod:`.plugin_cache`.
    """
    from .plugin_cache import cached_points, path_mark, remember_points

    mark: tuple[str, int] | None = None
    cached: list[CachedEntryPoint] | None = None
    with contextlib.suppress(Exception):  # a cache: any problem with it means "scan"
        mark = path_mark()
        cached = cached_points(group, mark[0])
    if cached is not None:
        return cached
    from importlib.metadata import entry_points as installed

    found = list(installed(group=group))
    if mark is not None:
        with contextlib.suppress(
            Exception
        ):  # a cache: failing to keep the scan costs the next process a scan
            remember_points(group, mark, [(ep.name, ep.value) for ep in found])
    return found


def load_entry_points(
    group: str, validate: Callable[[object], T], name_of: Callable[[T], str]
) -> dict[str, T]:
    """Load every entry point of ``group`` through ``validate``; keyed by ``name_of``, first one wins."""
    found: dict[str, T] = {}
    for ep in entry_points(group=group):
        try:
            plugin = validate(ep.load())
        except Exception as exc:  # a broken plugin must never stop the others
            _log.warning("plugin skipped", group=group, entry_point=ep.name, value=ep.value, reason=repr(exc))
            continue
        name = name_of(plugin)
        if name in found:
            _log.warning("duplicate plugin name skipped", group=group, name=name, entry_point=ep.name)
            continue
        found[name] = plugin
    return found
