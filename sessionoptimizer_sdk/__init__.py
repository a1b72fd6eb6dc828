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
from .optimizer import SessionOptimizer, analyze_session, get_optimizer
from .processing import SessionSpanProcessor
from .recording import ContextThreadPoolExecutor, SessionScope, propagate

if TYPE_CHECKING:
    from .analysis import AnalysisConfig, Finding, OptimizationReport, Recommendation

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

_LAZY = {"AnalysisConfig", "Finding", "OptimizationReport", "Recommendation"}


def __getattr__(name: str) -> Any:
    """Analysis types load on first use, keeping ``import sessionoptimizer_sdk`` light."""
    if name in _LAZY:
        from . import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'sessionoptimizer_sdk' has no attribute {name!r}")
