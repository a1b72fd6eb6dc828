"""Adapter registry: the ``sessionoptimizer.adapters`` entry points; a broken plugin is skipped with a logged reason.

Built-in adapters register through the same entry-point door as third-party ones (see ``pyproject.toml``); if
the package metadata is missing (a source tree never installed) the built-ins are added directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .._internal.log import get_logger
from .._internal.plugins import load_entry_points
from ..errors import AdapterUnavailable
from .agenthealth import AgentHealthReporter
from .contextcompressor import ContextCompressorAdapter
from .errorrecovery import ErrorRecoveryAdapter
from .synapselink import SynapseLinkNotifier
from .tokentracker import TokenTrackerAdapter

if TYPE_CHECKING:
    from ._base import Optimizer

__all__ = [
    "BUILTIN_ADAPTERS",
    "ENTRY_POINT_GROUP",
    "AdapterFactory",
    "create_adapter",
    "load_adapters",
    "reset_adapters",
    "validate_adapter",
]

ENTRY_POINT_GROUP = "sessionoptimizer.adapters"
_log = get_logger(__name__)
_lock = threading.Lock()
_loaded: dict[str, AdapterFactory] | None = None


@runtime_checkable
class AdapterFactory(Protocol):
    """Builds an adapter: ``factory(optimizer, source=None, **options)``; ``name`` is its registry key."""

    name: str

    def __call__(self, optimizer: Optimizer, source: Any = None, /, **options: Any) -> Any:
        """Create the adapter (raise AdapterUnavailable if ``source`` lacks what it needs)."""
        ...


BUILTIN_ADAPTERS: Mapping[str, Callable[..., Any]] = {
    cls.name: cls
    for cls in (
        TokenTrackerAdapter,
        ContextCompressorAdapter,
        ErrorRecoveryAdapter,
        SynapseLinkNotifier,
        AgentHealthReporter,
    )
}


def validate_adapter(obj: Any) -> AdapterFactory:
    """Return ``obj`` if it is an adapter factory (callable with a non-empty str ``name``), else raise TypeError."""
    name = getattr(obj, "name", None)
    if not callable(obj) or not isinstance(name, str) or not name:
        raise TypeError(f"{obj!r} is not an adapter factory (needs a str 'name' and to be callable)")
    return obj  # type: ignore[no-any-return]


def load_adapters(*, reload: bool = False) -> dict[str, AdapterFactory]:
    """Every registered adapter factory by name (loaded once per process unless ``reload``)."""
    global _loaded
    with _lock:
        if _loaded is not None and not reload:
            return dict(_loaded)
        found = load_entry_points(ENTRY_POINT_GROUP, validate_adapter, lambda f: f.name)
        for name, cls in BUILTIN_ADAPTERS.items():
            found.setdefault(name, validate_adapter(cls))
        _loaded = found
        return dict(found)


def reset_adapters() -> None:
    """Forget the loaded adapters (tests that install plugins call this)."""
    global _loaded
    with _lock:
        _loaded = None


def create_adapter(optimizer: Optimizer, name: str, source: Any = None, /, **options: Any) -> Any:
    """Build the adapter registered as ``name`` for ``optimizer`` (AdapterUnavailable if there is none)."""
    factories = load_adapters()
    factory = factories.get(name.lower())
    if factory is None:
        raise AdapterUnavailable(f"no adapter named {name!r}; registered: {', '.join(sorted(factories))}")
    return factory(optimizer, source, **options)
