"""The facade's adapter factories as functions: :class:`SessionOptimizer` methods delegate here in one line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._base import Optimizer
from .agenthealth import AgentHealthReporter
from .contextcompressor import ContextCompressorAdapter
from .errorrecovery import ErrorRecoveryAdapter
from .synapselink import SynapseLinkNotifier
from .tokentracker import TokenTrackerAdapter

__all__ = ["notify_synapselink", "use_agenthealth", "use_tokentracker", "with_recovery", "wrap_compressor"]


def use_tokentracker(
    optimizer: Optimizer, source: Any = None, *, session_id: str | None = None
) -> TokenTrackerAdapter:
    """A TokenTracker sync for ``optimizer``: call it after each major operation (logs only new usage)."""
    return TokenTrackerAdapter(optimizer, source, session_id=session_id)


def wrap_compressor(
    optimizer: Optimizer, source: Any = None, *, session_id: str | None = None
) -> ContextCompressorAdapter:
    """ContextCompressor's ``compress_file`` that also logs the compressed FILE_READ into ``optimizer``."""
    return ContextCompressorAdapter(optimizer, source, session_id=session_id)


def with_recovery(
    optimizer: Optimizer, *args: Any, source: Any = None, **kwargs: Any
) -> Callable[[Any], Any]:
    """ErrorRecovery's ``with_recovery(...)`` decorator; every failed attempt becomes an ERROR event."""
    return ErrorRecoveryAdapter(optimizer, source).with_recovery(*args, **kwargs)


def notify_synapselink(
    optimizer: Optimizer, source: Any = None, *, recipients: Mapping[str, str] | None = None
) -> SynapseLinkNotifier:
    """A SynapseLink notifier, already added to ``optimizer``'s alert delivery."""
    notifier = SynapseLinkNotifier(optimizer, source, recipients=recipients)
    optimizer.add_notifier(notifier)
    return notifier


def use_agenthealth(
    optimizer: Optimizer, source: Any = None, *, include_provisional: bool = False
) -> AgentHealthReporter:
    """An AgentHealth reporter of every finished session's efficiency (attached to ``optimizer``)."""
    return AgentHealthReporter(optimizer, source, include_provisional=include_provisional)
