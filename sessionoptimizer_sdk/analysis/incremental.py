"""The incremental analyzer extension point: per-session state fed with each batch of new events.

An :class:`IncrementalAnalyzer` keeps compact facts (not the events) in a state of its own: ``start()`` makes
it, ``feed(state, delta)`` adds a batch of events appended in time order, ``drafts(state, ctx)`` returns the
drafts for everything fed so far without changing the state. A full analysis feeds all events once and takes
the drafts; a live one feeds each new batch and takes drafts as often as it likes: the same code path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sessionoptimizer_sdk.models import ErrorKind, SessionEvent

from .base import Draft
from .config import AnalysisConfig
from .facts import EventFacts, facts_of
from .report import Recommendation

if TYPE_CHECKING:
    from .context import AnalysisContext

__all__ = ["Delta", "IncrementalAnalyzer", "LiveAction", "is_incremental"]


@dataclass(slots=True)
class LiveAction:
    """A tool action (read, write, tool call, or an error with no call) as compact facts, and how it ended.

    It refers to its event only until an analyzer keeps it (:meth:`keep`) or drops it: then just the facts remain.
    """

    id: str
    tool: str
    call_id: str | None
    args_key: str | None
    result_key: str | None
    event: SessionEvent | None
    #: Facts of the model calls between the previous action and this one (they produced it).
    gen: tuple[EventFacts, ...]
    redacted: bool = False
    command: str | None = None
    failed: bool = False
    error_kind: ErrorKind | None = None
    error_events: tuple[str, ...] = ()
    message: str | None = None
    #: Released to the analyzers: no later error may change it any more.
    closed: bool = False
    _facts: EventFacts | None = None

    @property
    def facts(self) -> EventFacts:
        """The facts of the action's event (settling and pricing its claims)."""
        f = self._facts
        if f is None:
            assert self.event is not None
            f = self._facts = facts_of(self.event)
        return f

    def keep(self) -> LiveAction:
        """Turn the event into facts (an analyzer keeps this action beyond the current batch); return self."""
        if self.event is not None:
            _ = self.facts
            self.event = None
        return self


@dataclass(frozen=True, slots=True)
class Delta:
    """A batch of events appended in time order, with the shared views the feed derived from them."""

    events: Sequence[SessionEvent]
    #: Position of ``events[0]`` in the session's time order.
    start: int
    config: AnalysisConfig
    session_model: str
    #: Tool actions that became final with this batch, in order (later errors can no longer change them).
    actions: Sequence[LiveAction] = ()
    #: The facts of each event that billed tokens (None for the others), aligned with ``events``.
    facts: Sequence[EventFacts | None] = ()


@runtime_checkable
class IncrementalAnalyzer(Protocol):
    """A detector with its own per-session state (see the module docstring); ``name``/``order`` as Analyzer."""

    name: str
    order: int

    def start(self) -> Any:
        """A new, empty state."""
        ...

    def feed(self, state: Any, delta: Delta) -> None:
        """Add a batch of events (appended in time order) to ``state``."""
        ...

    def drafts(self, state: Any, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """This detector's drafts for everything fed so far (``state`` is left unchanged)."""
        ...


def is_incremental(analyzer: object) -> bool:
    """True if the analyzer implements ``start``/``feed``/``drafts`` (else it only has ``analyze(ctx)``)."""
    return all(callable(getattr(analyzer, m, None)) for m in ("start", "feed", "drafts"))
