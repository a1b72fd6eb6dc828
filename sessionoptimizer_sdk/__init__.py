"""SessionOptimizer: record AI-agent sessions as OpenTelemetry spans and find where tokens and money are wasted.

Quick start::

    from sessionoptimizer_sdk import SessionOptimizer, EventType

    optimizer = SessionOptimizer()
    with optimizer.session("ATLAS", "Build SessionOptimizer", model="sonnet") as s:
        s.log(EventType.FILE_READ, data={"file_path": "big.py", "compressed": True}, tokens_input=2400)
    print(optimizer.analyze(s.id).efficiency_score)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .config import Settings
from .errors import (
    AdapterUnavailable,
    ConfigurationError,
    EventTooLarge,
    ImportSourceError,
    InvalidEventData,
    InvalidEventType,
    InvalidFormat,
    InvalidInputError,
    InvalidSessionId,
    InvalidStatus,
    InvalidTokenCount,
    SessionAlreadyExists,
    SessionNotActive,
    SessionNotFound,
    SessionOptimizerError,
    StoreError,
)
from .models import ErrorKind, EventType, Session, SessionEvent, SessionStatus, TokenUsage

if TYPE_CHECKING:
    from .analysis import AnalysisConfig, Finding, OptimizationReport, Recommendation
    from .optimizer import SessionOptimizer, analyze_session, get_optimizer
    from .processing import SessionSpanProcessor
    from .recording import ContextThreadPoolExecutor, SessionScope, propagate

__all__ = [
    "AdapterUnavailable",
    "AnalysisConfig",
    "ConfigurationError",
    "ContextThreadPoolExecutor",
    "ErrorKind",
    "EventTooLarge",
    "EventType",
    "Finding",
    "ImportSourceError",
    "InvalidEventData",
    "InvalidEventType",
    "InvalidFormat",
    "InvalidInputError",
    "InvalidSessionId",
    "InvalidStatus",
    "InvalidTokenCount",
    "OptimizationReport",
    "Recommendation",
    "Session",
    "SessionAlreadyExists",
    "SessionEvent",
    "SessionNotActive",
    "SessionNotFound",
    "SessionOptimizer",
    "SessionOptimizerError",
    "SessionScope",
    "SessionSpanProcessor",
    "SessionStatus",
    "Settings",
    "StoreError",
    "TokenUsage",
    "__version__",
    "analyze_session",
    "get_optimizer",
    "propagate",
]

#: Names that load their module on first access: the recording pipeline (OpenTelemetry SDK, store, writer) and
#: the analysis. ``import sessionoptimizer_sdk`` stays light; ``from sessionoptimizer_sdk import SessionOptimizer``
#: loads what it needs (docs/decisions/import-speed.md).
_LAZY = {
    "AnalysisConfig": "analysis",
    "Finding": "analysis",
    "OptimizationReport": "analysis",
    "Recommendation": "analysis",
    "SessionOptimizer": "optimizer",
    "analyze_session": "optimizer",
    "get_optimizer": "optimizer",
    "SessionSpanProcessor": "processing",
    "ContextThreadPoolExecutor": "recording",
    "SessionScope": "recording",
    "propagate": "recording",
}


def __getattr__(name: str) -> Any:
    """Load a lazily exported name's module on first use and cache the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sessionoptimizer_sdk' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Every public name, loaded or not."""
    return sorted(set(globals()) | set(__all__))
