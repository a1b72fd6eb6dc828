"""Duck-typed bridges to the Team Brain tools: TokenTracker, ContextCompressor, ErrorRecovery, SynapseLink, AgentHealth.

Each adapter takes the tool's module (or the one function it needs), checks it when created and raises
:class:`~sessionoptimizer_sdk.errors.AdapterUnavailable` naming what is missing; at run time a failing tool is
logged and never reaches agent code. Adapters are plugins of the ``sessionoptimizer.adapters`` entry-point group.
"""

from __future__ import annotations

from ..errors import AdapterUnavailable
from .agenthealth import AgentHealthReporter, health_metrics
from .contextcompressor import ContextCompressorAdapter, compression_figures
from .errorrecovery import ErrorRecoveryAdapter
from .registry import AdapterFactory, create_adapter, load_adapters
from .synapselink import DEFAULT_RECIPIENTS, SynapseLinkNotifier, format_alert
from .tokentracker import TokenTrackerAdapter, UsageReading

__all__ = [
    "DEFAULT_RECIPIENTS",
    "AdapterFactory",
    "AdapterUnavailable",
    "AgentHealthReporter",
    "ContextCompressorAdapter",
    "ErrorRecoveryAdapter",
    "SynapseLinkNotifier",
    "TokenTrackerAdapter",
    "UsageReading",
    "compression_figures",
    "create_adapter",
    "format_alert",
    "health_metrics",
    "load_adapters",
]
