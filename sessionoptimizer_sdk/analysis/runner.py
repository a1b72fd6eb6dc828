"""Runs analysis off the agent's thread, on a :class:`BatchWorker` fed with typed analysis jobs.

Repeated submits for one session coalesce (a final submit wins over a provisional one); provisional analyses
of an ACTIVE session are rate-limited to one per ``provisional_interval`` per session, and paced so that they
use at most ``max_duty`` of the time (held back, then run on a later wake). A provisional analysis reads only
the rows stored since the last one into the session's :class:`LiveAnalysis` (no reload); the final report is a
full analysis of the stored events. Every fault is contained: logged, counted in ``errors``, never raised.
"""

from __future__ import annotations

import os
import time
import weakref
from bisect import bisect_right
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk._internal.safety import Guard
from sessionoptimizer_sdk._internal.worker import BatchWorker
from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.alerts.notifiers import Notifier
from sessionoptimizer_sdk.alerts.rules import AlertRule, default_rules
from sessionoptimizer_sdk.analysis._handover import Chunk, HandOver
from sessionoptimizer_sdk.analysis._pacing import PACED_ON, fair_waits, paced_cost
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.live import LiveAnalysis, LiveCache
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.analysis.stored import (
    analyze_stored,
    finalize_session,
    load_subagents,
    publish_report,
)
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import Session, SessionEvent
from sessionoptimizer_sdk.store._rows import events_from_written
from sessionoptimizer_sdk.store.base import Store

__all__ = ["AnalysisRunner", "analyze_stored"]

_log = get_logger(__name__)
_GUARD = Guard("analysis.runner")
_FINAL_GUARD = Guard("analysis.final_from_live")
#: New rows read (and fed to the live state) per query of a provisional analysis.
_CHUNK = 2_000
#: Handed-over rows decoded and fed per step: their events die before the cyclic GC's next young collection
#: (2,000 at a time kept ~6,000 objects alive: ~550 young and 3-6 full collections on this thread per 100,000).
_FEED_ROWS = 256


@dataclass(frozen=True, slots=True)
class AnalysisJob:
    """One request to analyze a session (final: it ended; else a provisional check of live alert rules)."""

    session_id: str
    final: bool


def rules_for(config: AnalysisConfig) -> list[AlertRule]:
    """The spec's alert rules with thresholds taken from an analysis config."""
    return default_rules(
        max_waste_tokens=config.high_waste_tokens,
        max_active_minutes=config.long_session_minutes,
        max_error_rate=config.error_rate_threshold,
        spike_factor=config.spike_factor,
    )


class _Jobs:
    """The analysis worker's sink: coalesces jobs into the runner's pending set and runs what is due."""

    def __init__(self, runner: AnalysisRunner) -> None:
        self._runner = runner

    def export(self, batch: Sequence[AnalysisJob], /) -> int:
        pending = self._runner._pending
        for job in batch:
            pending[job.session_id] = pending.get(job.session_id, False) or job.final
        self._runner._run_due()
        return 0


class AnalysisRunner:
    """Background analysis and alerting for sessions of one store."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        config: AnalysisConfig | None = None,
        notifiers: Sequence[Notifier] = (),
        rules: Sequence[AlertRule] | None = None,
        max_pending: int = 10_000,
        provisional_interval: float = 0.5,
        max_duty: float = 0.05,
        max_live_events: int = 1_000_000,
    ) -> None:
        self.store = store
        self.settings = settings
        self.config = config or AnalysisConfig(monthly_budget_usd=settings.monthly_budget_usd)
        self.engine = AlertEngine(store, rules_for(self.config) if rules is None else rules, notifiers)
        self.max_pending = max_pending
        self.provisional_interval = provisional_interval
        #: The CPU share (0.05: 5% of a core) all live sessions' provisional reports take together at most: each
        #: session's wait comes from its last report's cost (the part repeated on every report; decoding and
        #: extending the views happen once per event) and a max-min fair share of this (``_pacing.fair_waits``).
        self.max_duty = max_duty
        self.errors: list[BaseException] = []
        #: Live sessions' held events had to be reloaded (a row appeared below the last seen ``seq``).
        self.reloads = 0
        self._pending: dict[str, bool] = {}  # worker thread only: session id -> final; FIFO
        self._last_provisional: dict[str, float] = {}
        #: Worker thread only: CPU seconds of each live session's last provisional analyses, and what it is paced on.
        self._recent: dict[str, deque[float]] = {}
        self._cost: dict[str, float] = {}
        self._live = LiveCache(max_live_events)  # worker thread only
        #: Rows the writer committed for sessions with a live analysis (fed without reading them back).
        self.handover = HandOver()
        #: Provisional analyses fed only from the hand-over / that read new rows from the store.
        self.handed = self.read_back = 0
        #: Held-back sessions' handed-over rows fed between their reports (so that they are not held).
        self.absorbed = 0
        #: Final reports taken from the live state (no reload of the session's events).
        self.finalized_live = 0
        self._gapped: set[str] = set()  # worker thread only: some handed-over rows were let go
        self._exact: set[str] = set()  # worker thread only: the session row's event_count was seen = count(*)
        self._force = False
        self._warm = False  # the first analysis in a process also loads analyzers and prices: not paced on
        self._rollups: dict[str, _Rollup] = {}  # worker thread only: kept subagent roll-ups of live sessions
        #: Provisional reports that reused a kept subagent roll-up instead of reloading the session's events.
        self.rollups_reused = 0
        self._worker: BatchWorker[AnalysisJob] = BatchWorker(
            _Jobs(self),
            name="sessionoptimizer-analysis",
            batch_size=1,
            queue_size=max_pending,
            interval=0.25,  # a submit wakes it at once; this only paces held-back provisional analyses
            block_timeout=0.0,  # submit runs on the writer thread: never make it wait for analysis
            on_wake=self._run_due,
        )
        ref = weakref.ref(self)

        def reset_in_child() -> None:  # the parent's pending analyses are the parent's business
            runner = ref()
            if runner is not None:
                runner._pending = {}
                runner._last_provisional = {}
                runner._cost = {}
                runner._recent = {}
                runner._live = LiveCache(runner._live.max_events)
                runner.handover = HandOver(runner.handover.max_rows)
                runner._gapped = set()
                runner._exact = set()
                runner._rollups = {}

        os.register_at_fork(after_in_child=reset_in_child)

    @property
    def dropped(self) -> int:
        """Submits dropped because ``max_pending`` jobs were already waiting."""
        return self._worker.dropped

    def submit(self, session_id: str, final: bool) -> None:
        """Queue a session for analysis (final: it ended; else a provisional check of live alert rules)."""
        if not self._worker.closed:
            self._worker.put(AnalysisJob(session_id, final))

    def hand_over(self, rows: Sequence[tuple[Any, ...]], first_seq: int, touched: set[str]) -> None:
        """Writer thread, right after a commit: rows of it (row ``i`` got ``first_seq + i``) for live sessions."""
        self.handover.put(rows, first_seq, touched)

    def _run_due(self) -> None:
        """Analyze every pending session that is final or past its provisional rate limit (worker thread)."""
        pending = self._pending
        if not pending:
            return
        now = time.monotonic()
        force, self._force = self._force, False
        waits = fair_waits(self._cost, self.provisional_interval, self.max_duty)
        due = [(sid, final) for sid, final in pending.items() if final or force or self._due(sid, now, waits)]
        for sid, final in due:
            self._process(sid, final)
            del pending[sid]  # only once analyzed: flush() waits while a session is pending
        waiting = self.handover.waiting
        for sid, final in pending.items():  # held back: feed what was handed over now, report later
            if not final and sid in self._live and waiting(sid):  # most wakes hand rows to few sessions
                self._process(sid, final, absorb=True)

    def _due(self, session_id: str, now: float, waits: Mapping[str, float] | None = None) -> bool:
        """A provisional analysis is due: past its wait, the rate limit paced by the live reports' CPU costs.

        ``waits`` are :func:`fair_waits` of every live session's last report cost (default: computed here): all
        sessions' reports together stay within ``max_duty`` of a core however many are live, and a costly one
        waits longer without slowing the others' reports.
        """
        if waits is None:
            waits = fair_waits(self._cost, self.provisional_interval, self.max_duty)
        wait = waits.get(session_id, self.provisional_interval)
        return now - self._last_provisional.get(session_id, -1e9) >= wait

    def _process(self, session_id: str, final: bool, *, absorb: bool = False) -> None:
        try:
            with _GUARD:
                try:
                    if absorb:
                        self._absorb(session_id)
                    else:
                        self._analyze(session_id, final)
                except Exception as exc:
                    self.errors.append(exc)
                    raise
        except Exception:  # only in strict mode (the guard re-raises); already recorded above
            _log.error("analysis failed", session_id=session_id)
        if final:
            self._last_provisional.pop(session_id, None)
            self._cost.pop(session_id, None)
            self._recent.pop(session_id, None)

    def _analyze(self, session_id: str, final: bool) -> None:
        reports_dir = self.settings.reports_dir
        if not final:
            self._last_provisional[session_id] = time.monotonic()
            started = time.thread_time()
            report, fed = self._provisional(session_id)
            if report is not None:
                self.engine.evaluate(report)
                if self._warm:  # the part repeated on every report, whatever is new, is what gets paced
                    recent = self._recent.setdefault(session_id, deque(maxlen=PACED_ON))
                    self._cost[session_id] = paced_cost(recent, max(0.0, time.thread_time() - started - fed))
                self._warm = True
                return
        # final, or it ended since it was submitted: store the report, write its file, raise alerts
        report = None
        try:
            with _FINAL_GUARD:  # a fault in the live state costs the shortcut, never the final report
                report = self._final_from_live(session_id)
        finally:
            self._drop(session_id)
        if report is not None:
            self.finalized_live += 1
            publish_report(self.store, reports_dir, report, self.engine)
        else:
            finalize_session(self.store, reports_dir, session_id, config=self.config, engine=self.engine)

    def _final_from_live(self, session_id: str) -> OptimizationReport | None:
        """The final report from the session's live state caught up with its last rows, or None.

        None means: analyze the stored events (no live state, or it cannot be shown to hold every stored event).
        """
        if session_id not in self._live:
            return None
        store = self.store
        session = store.get_session(session_id)
        if session.is_active:
            return None
        live = self._live.get(session_id)
        chunks, complete = self.handover.take(session_id)
        stored = store.count_events(session_id)
        self._catch_up(live, session, chunks, complete, stored)
        if len(live) != stored:
            return None
        return live.report(
            session, datetime.now(UTC), self.config, load_subagents(store, session), final=True
        )

    def _catch_up(
        self, live: LiveAnalysis, session: Session, chunks: list[Chunk], complete: bool, stored: int
    ) -> None:
        """Add the rows stored since ``live`` was last fed.

        The handed-over rows when they are all that is new in the store (the count agrees), else read back.
        """
        if session.id in self._gapped:
            self._gapped.discard(session.id)
            complete = False
        if complete and len(live) + _unseen(chunks, live.last_seq) == stored:
            self._feed_handed(live, chunks, session)
            self.handed += 1 if chunks else 0
            return
        self.read_back += 1  # first analysis, another writer's rows, rows let go: read them back
        while True:  # new rows in chunks, each fed before the next is decoded: memory stays flat
            rows = self.store.get_events_after(session.id, live.last_seq, limit=_CHUNK)
            live.add(rows)
            if len(rows) < _CHUNK:
                break
            live.sync(session, self.config)

    def _provisional(self, session_id: str) -> tuple[OptimizationReport | None, float]:
        """The live report from the held events plus the rows stored since (None if the session ended), and CPU s.

        The seconds are those spent feeding the new rows: per event, not what the pacing is about.
        """
        store = self.store
        try:
            session = store.get_session(session_id)
            if not session.is_active:
                return None, 0.0

            def reload() -> list[SessionEvent]:
                return store.get_events(session_id)

            live = self._live.get(session_id, reload)
            self.handover.want(session_id)  # rows committed from now on are handed over
            chunks, complete = self.handover.take(session_id)  # before the count: all of them are in it
            stored = self._count(session_id)  # rows committed after it only add
            fed = time.thread_time()
            self._catch_up(live, session, chunks, complete, stored)
            if len(live) > stored and session_id in self._exact:  # rows committed since, or a count too low?
                row = store.find_session(session_id)  # read after the rows: it counts every row read
                if row is None or len(live) > row.event_count:
                    self._exact.discard(session_id)  # the row's count is wrong: recount next time
            if len(live) < stored:  # a row became visible below last_seq (concurrent writers): reload
                self._exact.discard(session_id)  # and recount next time (or the row's count is too high)
                self.reloads += 1
                self._live.drop(session_id)
                self._rollups.pop(session_id, None)
                live = self._live.get(session_id, reload)
                live.add(store.get_events(session_id))
            now = datetime.now(UTC)
            live.sync(session, self.config)  # once per new event: not what the pacing is about
            fed = time.thread_time() - fed
            report = self._live_report(live, session, now)
        except BaseException:
            self._drop(session_id)
            raise
        if self._live.trim(keep=session_id):  # evicted sessions' rows are no longer handed over
            self.handover.keep_only(self._live)
            for kept in (self._cost, self._recent, self._rollups):  # nor paced on, nor their roll-ups kept
                for sid in [sid for sid in kept if sid not in self._live]:
                    del kept[sid]
        return report, fed

    def _live_report(self, live: LiveAnalysis, session: Session, now: datetime) -> OptimizationReport:
        """The provisional report, with the roll-up of the session's subagents.

        The roll-up needs every event of the session (files re-read across agents) and of its subagents. Once
        every subagent has ended, it is kept and reused while the subagents' rows, the session's live state and
        the config stay the same and the session's newer events all come after the subagents' last (they cannot
        change which reads were re-reads): a report then costs what one without subagents does, not a reload.
        """
        # first: a late event is only seen (and the state rebuilt: a new key) when the pending events are fed
        live.sync(session, self.config)
        subs = self.store.list_subagents(session.id, since=session.started_at)
        if not subs:
            self._rollups.pop(session.id, None)
            return live.report(session, now, self.config)
        key = (
            live,
            live.rebuilds,
            self.config,
            session.model,
            session.agent,
            session.started_at,
            tuple(subs),
        )
        held = self._rollups.get(session.id)
        if held is not None and held.key == key and (len(live) == held.count or held.after):
            self.rollups_reused += 1
            return live.report(session, now, self.config, rolled=held.rollup)
        report = live.report(session, now, self.config, load_subagents(self.store, session, subs))
        horizon = _ended_by(subs)
        last = live.last_time
        if horizon is None or last is None:
            self._rollups.pop(session.id, None)
        else:
            self._rollups[session.id] = _Rollup(key, len(live), last > horizon, report.subagents)
        return report

    def _count(self, session_id: str) -> int:
        """The session's stored events: its row's ``event_count`` once shown exact, else ``count(*)``.

        ``count(*)`` walks the session's index (5.5 ms at 100,000 events, on every report: every report of a
        team server's sessions, which are read back, not handed over); the row's count is one primary-key read,
        written in the same transaction as the rows. It is trusted only for a session whose row count was once
        read equal to ``count(*)`` (read first: rows committed in between only make the two differ), since events
        stored before their session's row are not in it; a report that reads more rows than the row counts after
        them, or fewer than it counted, stops trusting it (``_provisional``).
        """
        row = self.store.find_session(session_id)
        counted = None if row is None else row.event_count
        if counted is not None and session_id in self._exact and session_id not in self._gapped:
            return counted
        stored = self.store.count_events(session_id)
        if counted == stored:
            self._exact.add(session_id)
        else:
            self._exact.discard(session_id)
        return stored

    def _feed_handed(self, live: LiveAnalysis, chunks: list[Chunk], session: Session) -> None:
        """Add the handed-over rows not seen yet (``seq`` after ``last_seq``), as the store would give them."""
        session_id = session.id
        for seqs, rows in chunks:
            i = bisect_right(seqs, live.last_seq)  # rows also read from the store are skipped
            while i < len(rows):  # decoded and fed in steps: memory stays flat
                j = i + _FEED_ROWS
                part = events_from_written(rows[i:j], seqs[i:j], session_id)
                live.add(part, last_seq=part[-1].seq)
                live.sync(session, self.config)
                i = max(j, bisect_right(seqs, live.last_seq))  # a rebuild read the rest from the store

    def _absorb(self, session_id: str) -> None:
        """Feed a held-back session's handed-over rows now, so that they are not held until its report.

        Checked against the session's stored ``event_count`` (one primary-key read, same transaction as the
        rows): on any difference the rows are let go and the next report reads the store.
        """
        chunks, complete = self.handover.take(session_id)
        if not chunks and complete:
            return
        session = self.store.find_session(session_id)
        if session is None or not session.is_active:
            return  # gone or ended: the final report analyzes the stored events
        live = self._live.get(session_id)
        if not complete or len(live) + _unseen(chunks, live.last_seq) != session.event_count:
            self._gapped.add(session_id)  # its next report reads the store after what was fed
            return
        try:
            self._feed_handed(live, chunks, session)
            live.sync(session, self.config)
            self.absorbed += 1
        except BaseException:
            self._drop(session_id)
            raise

    def _drop(self, session_id: str) -> None:
        """Forget a session's live state, its handed-over rows, its report cost and its kept subagent roll-up."""
        self._live.drop(session_id)
        self._cost.pop(session_id, None)
        self._recent.pop(session_id, None)
        self._rollups.pop(session_id, None)
        self.handover.forget(session_id)
        self._gapped.discard(session_id)
        self._exact.discard(session_id)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted session was analyzed; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        if not self._worker.flush(timeout):
            return False
        if self._pending:
            self._force = True  # run held-back provisional analyses on the next wake, not after their pacing
        while self._pending:  # rate-limited provisional analyses run on a later wake of the worker
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return self.engine.flush(max(0.0, deadline - time.monotonic()))

    def close(self, timeout: float = 10.0) -> None:
        """Finish pending work within ``timeout``, then stop the worker and the alert delivery; idempotent."""
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        self._worker.close(max(0.0, deadline - time.monotonic()))
        self.engine.close(max(0.0, deadline - time.monotonic()))


@dataclass(frozen=True, slots=True)
class _Rollup:
    """A live session's subagent roll-up, valid while ``key`` holds (see ``AnalysisRunner._live_report``)."""

    key: tuple[Any, ...]
    count: int  # the session's events when it was computed
    after: bool  # the session's latest event then came after every subagent's last: newer ones cannot matter
    rollup: Mapping[str, Any]


def _ended_by(subs: Sequence[Session]) -> float | None:
    """Epoch seconds by which every subagent had ended and logged its last event; None if one is still active."""
    if any(s.is_active or s.ended_at is None for s in subs):
        return None
    return max(
        t.timestamp() for s in subs for t in (s.ended_at, s.started_at, s.last_event_at) if t is not None
    )


def _unseen(chunks: list[Chunk], last_seq: int) -> int:
    """How many handed-over rows have a ``seq`` after ``last_seq`` (not fed yet)."""
    return sum(len(seqs) - bisect_right(seqs, last_seq) for seqs, _ in chunks)
