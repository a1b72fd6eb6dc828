"""The events an import stored, kept in hand so each session's final report needs no reload from the store.

:class:`KeptEvents` is handed to :func:`~sessionoptimizer_sdk.importers.runner.import_paths`: every batch the
store accepted is kept beside its session. At the end, a session whose kept events provably are its stored
events is analyzed from them by the same :func:`~sessionoptimizer_sdk.analysis.engine.analyze_events` a stored
analysis runs (same events, same time order: ties in the order they were written, as the store's ``seq``
orders them; an event written again by a later batch replaces its first version in place, as the store's upsert
keeps its ``seq``). Provably: its first batch met a session with no stored events, one file wrote it, every
event is the session's own, the stored count agrees, and it was not let go to bound memory
(:data:`MAX_EVENTS` kept in all, least recently written first). Otherwise :meth:`KeptEvents.final_report`
returns None and the caller analyzes the stored events (docs/decisions/import-speed.md).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sessionoptimizer_sdk._internal.safety import Guard
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.models import Session, SessionEvent
from sessionoptimizer_sdk.store.base import Store

__all__ = ["MAX_EVENTS", "KeptEvents"]

#: Events kept in all, ~1 KB each (as many as a stored analysis loads for one session of that size): an import of
#: many sessions holds at most ~50 MB; past it the least recently written session is let go and read back.
MAX_EVENTS = 50_000
#: A fault here costs the shortcut (the session is analyzed from the store), never the import or its report.
_GUARD = Guard("import.kept_events")


class KeptEvents:
    """The events one import stored, per session, while they provably are the session's stored events."""

    def __init__(self, config: AnalysisConfig) -> None:
        self.config = config
        #: session id -> (file key, events in the order first written, event id -> its place among them)
        self._kept: OrderedDict[str, tuple[str, list[SessionEvent], dict[str, int]]] = OrderedDict()
        self._held = 0
        self._lost: set[str] = set()  # sessions that can no longer be shown complete in this import
        #: Final reports made from the kept events (the others were analyzed from the store).
        self.finalized = 0

    def before_store(self, store: Store, key: str, session: Session) -> None:
        """Called before a batch of ``key`` (one file) is stored under ``session``: start or check its events."""
        self._guarded(session.id, self._before_store, store, key, session)

    def stored(self, key: str, session: Session, events: Sequence[SessionEvent]) -> None:
        """Keep a batch the store just accepted (called only after the batch's transaction committed)."""
        self._guarded(session.id, self._stored, key, session, events)

    def final_report(
        self, store: Store, session: Session, candidates: Iterable[Session] | None = None
    ) -> OptimizationReport | None:
        """The final report of ``session`` from its kept events, or None (analyze the stored events instead)."""
        from sessionoptimizer_sdk.analysis.engine import analyze_events
        from sessionoptimizer_sdk.analysis.stored import load_subagents

        sid = session.id
        entry = self._kept.get(sid)
        if entry is None or session.is_active:
            return None
        self._lose(sid)  # used once
        events = entry[1]
        if store.count_events(sid) != len(events):  # rows from elsewhere
            return None
        subs = load_subagents(store, session, candidates)
        report = analyze_events(session, events, config=self.config, subagents=subs)
        self.finalized += 1
        return report

    def _guarded(self, sid: str, step: Callable[..., None], *args: Any) -> None:
        done = False
        try:
            with _GUARD:
                step(*args)
                done = True
        finally:
            if not done:
                self._lose(sid)

    def _before_store(self, store: Store, key: str, session: Session) -> None:
        sid = session.id
        if sid in self._lost:
            return
        entry = self._kept.get(sid)
        if entry is None:
            if store.count_events(sid):  # a re-import that appends, or another source's events
                self._lost.add(sid)
            else:
                self._kept[sid] = (key, [], {})
        elif entry[0] != key:  # a second file writes the same session
            self._lose(sid)

    def _stored(self, key: str, session: Session, events: Sequence[SessionEvent]) -> None:
        sid = session.id
        entry = self._kept.get(sid)
        if entry is None or entry[0] != key or not events:
            return
        kept, place = entry[1], entry[2]
        for e in events:
            if e.session_id != sid:  # stored under another session: the kept list would not match the store
                self._lose(sid)
                return
        n = before = len(kept)
        for e in events:
            at = place.setdefault(e.id, n)
            if at == n:
                kept.append(e)
                n += 1
            else:  # written again (a tool call whose result came in a later batch): the upsert kept its seq
                kept[at] = e
        self._held += n - before
        self._kept.move_to_end(sid)
        while self._kept and self._held > MAX_EVENTS:
            self._lose(next(iter(self._kept)))

    def _lose(self, sid: str) -> None:
        entry = self._kept.pop(sid, None)
        if entry is not None:
            self._held -= len(entry[1])
        self._lost.add(sid)
