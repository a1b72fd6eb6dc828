"""What every Team Brain adapter shares: finding the tool's functions, the target session, and contained failures.

The Team Brain tools are not public packages, so adapters take the tool's module, an object, or the function
itself, and check by duck typing when they are created (misconfiguration fails fast with
:class:`~sessionoptimizer_sdk.errors.AdapterUnavailable`). At run time a failing tool is the tool's fault, not
the agent's: it is logged and counted, and never reaches agent code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .._internal.log import get_logger
from .._internal.safety import handle_internal_errors
from ..errors import AdapterUnavailable, SessionOptimizerError
from ..models import EventType, SessionEvent

if TYPE_CHECKING:
    from datetime import datetime

    from ..alerts import Notifier
    from ..analysis import AnalysisConfig, OptimizationReport

__all__ = [
    "Optimizer",
    "ToolFunctions",
    "current_session_id",
    "load_tool",
    "log_to_session",
    "require",
    "skipped",
    "tool_failed",
]

_log = get_logger("sessionoptimizer.adapters")

ToolFunctions = dict[str, Callable[..., Any]]


class Optimizer(Protocol):
    """What adapters use of :class:`~sessionoptimizer_sdk.SessionOptimizer` (adapters sit below the facade)."""

    @property
    def store(self) -> Any:
        """The store the optimizer records into."""
        ...

    @property
    def analysis_config(self) -> AnalysisConfig:
        """Thresholds, prices and budget the optimizer analyzes with."""
        ...

    def current_session_id(self) -> str | None:
        """The id of the active session the calling code runs in, if this optimizer records it."""
        ...

    def log_event(
        self,
        session_id: str,
        event_type: EventType | str,
        data: Mapping[str, Any] | None = None,
        tokens_input: int = 0,
        tokens_output: int = 0,
        *,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        timestamp: datetime | None = None,
        duration_ms: float | None = None,
    ) -> SessionEvent:
        """Record one event in an ACTIVE session."""
        ...

    def analyze(self, session_id: str) -> OptimizationReport:
        """Analyze a session now."""
        ...

    def add_notifier(self, notifier: Notifier) -> None:
        """Deliver future alerts to ``notifier`` too."""
        ...

    def add_report_listener(self, listener: Callable[[OptimizationReport], object]) -> None:
        """Call ``listener`` with every background analysis."""
        ...


def load_tool(module: str, adapter: str) -> Any:
    """Import the tool's module by its usual name, or raise AdapterUnavailable saying how to pass it instead."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise AdapterUnavailable(
            f"{adapter}: the {module!r} module cannot be imported ({exc}); pass the module or the function"
        ) from exc


def require(source: Any, names: Sequence[str], adapter: str, *, module: str | None = None) -> ToolFunctions:
    """The callables ``names`` taken from ``source`` (module, object, or the function itself when one is needed).

    Raises:
        AdapterUnavailable: ``source`` lacks one of the functions; the message names every missing one.
    """
    if source is None and module is not None:
        source = load_tool(module, adapter)
    if len(names) == 1 and callable(source) and not hasattr(source, names[0]):
        return {names[0]: source}
    found: ToolFunctions = {}
    missing: list[str] = []
    for name in names:
        fn = getattr(source, name, None)
        if callable(fn):
            found[name] = fn
        else:
            missing.append(name)
    if missing:
        what = getattr(source, "__name__", type(source).__name__)
        raise AdapterUnavailable(f"{adapter}: {what!r} has no callable {', '.join(repr(m) for m in missing)}")
    return found


def current_session_id(optimizer: Optimizer, explicit: str | None = None) -> str | None:
    """``explicit`` if given, else the session the calling code runs in when ``optimizer`` records it."""
    return explicit if explicit is not None else optimizer.current_session_id()


def tool_failed(adapter: str, function: str, exc: BaseException) -> None:
    """Log a Team Brain tool's failure (a warning: the agent goes on, the adapter skips this one update)."""
    _log.warning("adapter tool failed", adapter=adapter, function=function, error=repr(exc))


def skipped(adapter: str, reason: str, **fields: Any) -> None:
    """Log (at info) why an adapter recorded nothing this time, e.g. no session was active."""
    _log.info("adapter skipped", adapter=adapter, reason=reason, **fields)


def log_to_session(
    optimizer: Optimizer,
    adapter: str,
    session_id: str | None,
    event_type: EventType,
    data: dict[str, Any],
    tokens_input: int = 0,
    tokens_output: int = 0,
    **options: Any,
) -> SessionEvent | None:
    """Log one event for an adapter; a missing or ended session is skipped with a log line, never raised."""
    if session_id is None:
        skipped(adapter, "no active session", event_type=event_type.value)
        return None
    with handle_internal_errors(f"adapters.{adapter}"):
        try:
            return optimizer.log_event(session_id, event_type, data, tokens_input, tokens_output, **options)
        except SessionOptimizerError as exc:  # e.g. the session ended: the agent's business, not an SDK fault
            skipped(adapter, str(exc), session_id=session_id, event_type=event_type.value)
    return None
