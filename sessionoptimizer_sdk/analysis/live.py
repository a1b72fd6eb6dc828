"""Per-session state of a live (provisional) analysis, fed batch by batch with the session's new events.

Pure: the runner reads new rows from the store and hands them over; nothing here touches a store. A
:class:`LiveAnalysis` keeps the session's decoded events in time order (an event arriving out of time order is
inserted in place) and the shared views of the analysis context (totals, actions, model calls), extended with
each batch of events appended in time order and rebuilt after an out-of-order one; :class:`LiveCache` bounds how
many events are held.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sessionoptimizer_sdk.models import Session, SessionEvent

from .config import AnalysisConfig
from .context import AnalysisContext, Scan
from .engine import analyze_context
from .report import OptimizationReport

__all__ = ["LiveAnalysis", "LiveCache"]


def _key(e: SessionEvent) -> tuple[datetime, int]:
    return (e.timestamp, e.seq)


class LiveAnalysis:
    """One live session's events (time order, as the store returns them) and the last ``seq`` seen."""

    __slots__ = ("_base", "_scan", "events", "last_seq", "out_of_order")

    def __init__(self) -> None:
        self.events: list[SessionEvent] = []
        self.last_seq = 0
        self._base: AnalysisContext | None = None  # the views so far, extended by ``_scan``
        self._scan = Scan()
        #: Events that arrived older than one already held (inserted in place, not appended).
        self.out_of_order = 0

    def __len__(self) -> int:
        return len(self.events)

    def add(self, batch: Iterable[SessionEvent]) -> int:
        """Add rows new to the store (read after ``last_seq``); return how many were added."""
        events = self.events
        added = 0
        for e in batch:
            self.last_seq = max(self.last_seq, e.seq)
            if not events or _key(e) >= _key(events[-1]):
                events.append(e)
            else:  # older than the newest held event: keep time order (O(n) for this event only)
                events.insert(bisect.bisect_right(events, _key(e), key=_key), e)
                self.out_of_order += 1
                self._base = None  # the views of the later events moved: rebuild them on the next report
            added += 1
        return added

    def sync(self, session: Session, now: datetime, config: AnalysisConfig) -> AnalysisContext:
        """Extend the shared views with the events appended since the last call (all of them after a rebuild)."""
        base = self._base
        if base is None:
            base = self._base = AnalysisContext(session, self.events, config, now, session.is_active)
            self._scan = Scan()
        self._scan.extend(base)
        return base

    def report(
        self,
        session: Session,
        now: datetime,
        config: AnalysisConfig | None = None,
        subagents: Sequence[tuple[Session, Sequence[SessionEvent]]] = (),
    ) -> OptimizationReport:
        """The report of the events held so far (equal to analyzing the same events loaded from the store)."""
        cfg = config or AnalysisConfig()
        base = self.sync(session, now, cfg)
        ctx = AnalysisContext(
            session,
            self.events,
            cfg,
            now,
            session.is_active,
            actions=base.actions,
            model_calls=base.model_calls,
            compactions=base.compactions,
            billed=base.billed,
            content=base.content,
        )
        self._scan.finish(ctx)
        return analyze_context(ctx, subagents)


class LiveCache:
    """Live analyses of the most recently analyzed sessions, holding at most ``max_events`` events in all."""

    def __init__(self, max_events: int = 200_000) -> None:
        self.max_events = max_events
        self._items: OrderedDict[str, LiveAnalysis] = OrderedDict()
        self.evictions = 0

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._items

    def get(self, session_id: str) -> LiveAnalysis:
        """The session's live analysis (a new, empty one if none is held), marked most recently used."""
        live = self._items.get(session_id)
        if live is None:
            live = self._items[session_id] = LiveAnalysis()
        self._items.move_to_end(session_id)
        return live

    def drop(self, session_id: str) -> None:
        """Forget a session (it ended, or its held events no longer match the store)."""
        self._items.pop(session_id, None)

    def clear(self) -> None:
        """Forget every session."""
        self._items.clear()

    @property
    def held(self) -> int:
        """Events held over all sessions."""
        return sum(len(v) for v in self._items.values())

    def trim(self, keep: str) -> None:
        """Evict least recently used sessions (never ``keep``) until at most ``max_events`` are held."""
        total = self.held
        for sid in list(self._items):
            if total <= self.max_events:
                return
            if sid == keep:
                continue
            total -= len(self._items.pop(sid))
            self.evictions += 1
        if total > self.max_events:  # one session alone is over the bound: do not hold it
            self._items.pop(keep, None)
            self.evictions += 1
