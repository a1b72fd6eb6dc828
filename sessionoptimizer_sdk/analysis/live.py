"""Per-session state of a live (provisional) analysis, fed batch by batch with the session's new events.

Pure: the runner reads new rows from the store and hands them over; nothing here touches a store. A
:class:`LiveAnalysis` holds no events: each batch is fed (in time order) to a :class:`Feed`, the running views
and every analyzer's own state, and a report is drafted from them. An event older than one already fed, a
changed session (model, start, agent) or an error naming an action already released makes the state stale:
it is rebuilt from ``reload`` (all of the session's events). :class:`LiveCache` bounds how many sessions'
states are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from sessionoptimizer_sdk.models import Session, SessionEvent

from .config import AnalysisConfig
from .engine import analyze_feed
from .feed import ACTION_WINDOW, Feed, RetroactiveError
from .registry import load_analyzers
from .report import OptimizationReport

__all__ = ["LiveAnalysis", "LiveCache", "StaleLiveState"]

Loader = Callable[[], Sequence[SessionEvent]]


class StaleLiveState(RuntimeError):
    """The live state must be rebuilt from all of the session's events and no ``reload`` was given."""


#: Time order, ties by ``seq`` (a C-level getter: no Python call per event when sorting a batch).
_key: Callable[[SessionEvent], tuple[datetime, int]] = attrgetter("timestamp", "seq")


class LiveAnalysis:
    """One live session's running analysis state; ``len()`` is how many events it has seen."""

    __slots__ = (
        "_feed",
        "_fresh",
        "_pending",
        "_reload",
        "_stamp",
        "_window",
        "last_seq",
        "out_of_order",
        "rebuilds",
    )

    def __init__(self, reload: Loader | None = None, *, window: int | None = ACTION_WINDOW) -> None:
        self._reload = reload
        self._feed: Feed | None = None
        self._fresh = True
        self._stamp: tuple[object, ...] | None = None
        self._pending: list[SessionEvent] = []  # added, not fed yet (fed on the next report)
        #: Tool actions kept open to a later error (see ``feed.ACTION_WINDOW``); None after a late error.
        self._window = window
        self.last_seq = 0
        #: Events that arrived older than one already seen (the state was rebuilt for them).
        self.out_of_order = 0
        #: Times the state was rebuilt from all events (out-of-order event, changed session, late error).
        self.rebuilds = 0

    def __len__(self) -> int:
        return (self._feed.count if self._feed is not None else 0) + len(self._pending)

    @property
    def pending(self) -> int:
        """Events added and not fed yet (fed by the next ``sync`` or report)."""
        return len(self._pending)

    def add(self, batch: Iterable[SessionEvent], *, last_seq: int | None = None) -> int:
        """Add rows new to the store (read after ``last_seq``); return how many were added.

        A caller that knows the batch's highest ``seq`` passes it as ``last_seq`` (no pass over the events).
        """
        if last_seq is not None and isinstance(batch, list):
            self._pending += batch
            self.last_seq = max(self.last_seq, last_seq)
            return len(batch)
        added = 0
        for e in batch:
            self.last_seq = max(self.last_seq, e.seq)
            self._pending.append(e)
            added += 1
        return added

    def sync(self, session: Session, config: AnalysisConfig) -> Feed:
        """Feed the events added since the last call (rebuilding from ``reload`` when the state went stale)."""
        stamp = (session.model, session.started_at, session.agent, config)
        pending = sorted(self._pending, key=_key)
        self._pending = []
        if self._fresh:  # nothing fed yet: what was added is every event so far
            self._fresh = False
            self._feed, self._stamp = (
                Feed(session, config, load_analyzers(), window=self._window, keep_settlements=True),
                stamp,
            )
        feed = self._feed
        if feed is not None and stamp == self._stamp:
            last = feed.last_key
            if pending and last is not None and _key(pending[0]) < last:
                self.out_of_order += sum(1 for e in pending if _key(e) < last)
            else:
                try:
                    feed.add(pending)
                    return feed
                except RetroactiveError:
                    self._window = None  # an error named an old action: keep every action open from now on
        return self._rebuild(session, config, stamp)

    def _rebuild(self, session: Session, config: AnalysisConfig, stamp: tuple[object, ...]) -> Feed:
        if self._reload is None:
            self._feed = None
            raise StaleLiveState(
                "the live state needs all of the session's events and has no way to load them"
            )
        self.rebuilds += 1
        events = sorted(self._reload(), key=_key)
        while True:
            feed = Feed(session, config, load_analyzers(), window=self._window, keep_settlements=True)
            try:
                feed.add(events)
                break
            except RetroactiveError:
                self._window = None
        self._feed, self._stamp = feed, stamp
        self.last_seq = max([self.last_seq, *(e.seq for e in events)])
        return feed

    def report(
        self,
        session: Session,
        now: datetime,
        config: AnalysisConfig | None = None,
        subagents: Sequence[tuple[Session, Sequence[SessionEvent]]] = (),
        *,
        final: bool = False,
        rolled: Mapping[str, Any] | None = None,
    ) -> OptimizationReport:
        """The report of the events seen so far (equal to analyzing the same events loaded from the store).

        Analyzers that only implement ``analyze(ctx)`` need the events: a provisional report leaves them out,
        a ``final`` one loads the events through ``reload`` for them (only if there are any). With
        ``subagents``, the roll-up reads the session's events through ``reload`` too; ``rolled`` is such a
        roll-up computed before, still valid (the report is the same as with its subagents, without the reload
        the roll-up would need).
        """
        feed = self.sync(session, config or AnalysisConfig())
        source = self._reload if final or subagents or rolled is not None else None
        return analyze_feed(feed, session, now, source, subagents, rolled=rolled)

    @property
    def last_time(self) -> float | None:
        """Epoch seconds of the latest event fed (None before any); events added later are not earlier."""
        feed = self._feed
        if feed is None or feed.last_key is None:
            return None
        return feed.last_key[0].timestamp()


class LiveCache:
    """Live analyses of the most recently analyzed sessions, standing for at most ``max_events`` events in all."""

    def __init__(self, max_events: int = 1_000_000) -> None:
        self.max_events = max_events
        self._items: OrderedDict[str, LiveAnalysis] = OrderedDict()
        self.evictions = 0

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._items

    def get(self, session_id: str, reload: Loader | None = None) -> LiveAnalysis:
        """The session's live analysis (a new, empty one if none is held), marked most recently used."""
        live = self._items.get(session_id)
        if live is None:
            live = self._items[session_id] = LiveAnalysis(reload)
        self._items.move_to_end(session_id)
        return live

    def drop(self, session_id: str) -> None:
        """Forget a session (it ended, or its state no longer matches the store)."""
        self._items.pop(session_id, None)

    def clear(self) -> None:
        """Forget every session."""
        self._items.clear()

    @property
    def held(self) -> int:
        """Events seen over all sessions' states."""
        return sum(len(v) for v in self._items.values())

    def trim(self, keep: str) -> bool:
        """Evict least recently used sessions (never ``keep``) until at most ``max_events`` are held; True if any."""
        total, before = self.held, self.evictions
        for sid in list(self._items):
            if total <= self.max_events:
                return self.evictions > before
            if sid == keep:
                continue
            total -= len(self._items.pop(sid))
            self.evictions += 1
        if total > self.max_events:  # one session alone is over the bound: do not hold it
            self._items.pop(keep, None)
            self.evictions += 1
        return self.evictions > before
