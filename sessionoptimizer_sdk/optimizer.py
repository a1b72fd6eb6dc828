"""``SessionOptimizer``: the public facade over recorder, store, analysis and integrations (the spec's API)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from opentelemetry.sdk.trace import TracerProvider

from . import _lifecycle
from ._internal import validate
from ._internal.log import get_logger
from ._internal.safety import Guard
from .config import Settings
from .errors import InvalidInputError, InvalidStatus, StoreError
from .models import EventType, Session, SessionEvent, SessionStatus
from .processing._writer import BatchWriter, CommittedRows
from .recording.context import current_scope
from .recording.recorder import Recorder
from .recording.scope import SessionScope
from .recording.tool import instrument_tool

if TYPE_CHECKING:
    from .adapters import (
        AgentHealthReporter,
        ContextCompressorAdapter,
        SynapseLinkNotifier,
        TokenTrackerAdapter,
    )
    from .alerts import Notifier
    from .analysis import AnalysisConfig, OptimizationReport
    from .analysis.runner import AnalysisRunner
    from .importers.kept import KeptEvents
    from .importers.runner import ImportSummary
    from .store.base import Store

__all__ = ["SessionOptimizer", "analyze_session", "get_optimizer"]

_RECOVER = Guard("optimizer.recover")
_FINALIZE_IMPORT = Guard("optimizer.finalize_import")

F = TypeVar("F", bound=Callable[..., Any])
_log = get_logger("sessionoptimizer")


def _store_errors() -> tuple[type[Exception], ...]:
    """Exceptions meaning "the store failed under us": recording goes on and reads answer from memory."""
    import sqlite3  # with the store, not at import (docs/decisions/import-speed.md)

    return (StoreError, sqlite3.Error, OSError)


class SessionOptimizer:
    """Record agent sessions as OpenTelemetry spans into an embedded store, and analyze them for waste.

    Args:
        home: store folder (default ``$SESSIONOPTIMIZER_HOME`` or ``~/.sessionoptimizer``).
        tracer_provider: an SDK TracerProvider to attach to (default: the global one if it is an SDK
            provider, else a private provider that exports over OTLP when ``OTEL_*`` variables say so).
        default_model: model recorded when ``start_session`` names none.
        capture_content: record prompt, file and tool content (default off: sizes and hashes only).
        analysis_config: thresholds, prices and budget for the analyzers.
        notifiers: where alerts go, besides the store and the structured log.
        store: the store: a URL (``postgresql://user@host:port/db``, ``sqlite:///path``) or an open
            :class:`~sessionoptimizer_sdk.store.Store` (default ``$SESSIONOPTIMIZER_STORE``, else SQLite in home).
    """

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        tracer_provider: TracerProvider | None = None,
        default_model: str | None = None,
        capture_content: bool | None = None,
        analysis_config: AnalysisConfig | None = None,
        notifiers: Iterable[Notifier] = (),
        settings: Settings | None = None,
        store: str | Store | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env(
            home, default_model=default_model, capture_content=capture_content
        )
        from .store.recovery import recover_abandoned  # deferred: the store loads SQLite (import-speed.md)
        from .store.selection import open_store

        self.store: Store = (
            open_store(store, self.settings) if store is None or isinstance(store, str) else store
        )
        recovered: list[str] = []
        with _RECOVER:
            recovered = recover_abandoned(self.store)
        store = self.store
        writer = BatchWriter(
            lambda: store,
            flush_interval=self.settings.flush_interval,
            queue_size=self.settings.queue_size,
            block_timeout=self.settings.block_timeout,
        )
        self._recorder = Recorder(self.settings, store, writer, tracer_provider, store_errors=_store_errors())
        if recovered:  # tell the collector / team server too: it saw their events but never their end
            self._recorder.export_recovered(recovered)
        self._analysis_config = analysis_config
        self._notifiers: list[Notifier] = list(notifiers)
        self._runner: AnalysisRunner | None = None
        self._runner_lock = threading.Lock()
        if self.settings.auto_analyze:
            self._recorder.writer.add_listener(self._on_commit)
        _lifecycle.register(self)

    # --- plumbing -------------------------------------------------------------------------------------
    @property
    def tracer_provider(self) -> TracerProvider:
        """The TracerProvider our spans go through (pass it to OTel instrumentors)."""
        return self._recorder.provider

    @property
    def analysis_config(self) -> AnalysisConfig:
        """Thresholds, prices and budget this optimizer analyzes with."""
        return self._config()

    def _config(self) -> AnalysisConfig:
        if self._analysis_config is None:
            from .analysis import AnalysisConfig

            self._analysis_config = AnalysisConfig(monthly_budget_usd=self.settings.monthly_budget_usd)
        return self._analysis_config

    def _analysis_runner(self) -> AnalysisRunner:
        with self._runner_lock:
            if self._runner is None:
                from .analysis.runner import AnalysisRunner

                self._runner = AnalysisRunner(
                    self.store, self.settings, config=self._config(), notifiers=self._notifiers
                )
            return self._runner

    def _on_commit(self, touched: set[str], ended: list[str], committed: CommittedRows | None) -> None:
        """Writer-thread hook: live alert rules on each batch, full analysis and report when a session ends."""
        runner = self._analysis_runner()
        live = self.settings.live_analysis
        if committed is not None and live:  # before the submits: the live analysis feeds these rows
            runner.hand_over(committed.rows, committed.first_seq, touched)
        done = set(ended)
        for sid in ended:
            runner.submit(sid, final=True)
        if live:
            for sid in touched - done:
                runner.submit(sid, final=False)

    def flush(self, timeout: float = 10.0, *, analysis: bool = False) -> bool:
        """Wait until every recorded event is stored; False on timeout or if any was lost.

        With ``analysis=True`` also wait for the background analyses (reports, alerts) queued so far.
        """
        deadline = time.monotonic() + timeout
        ok = self._recorder.writer.flush(timeout, report=True)
        if analysis and self._runner is not None:
            ok = self._runner.flush(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def shutdown(self, timeout: float = 10.0) -> None:
        """End this process's open sessions as ABANDONED, flush everything, stop background threads."""
        _lifecycle.close(self._recorder, self._runner, timeout)
        _lifecycle.unregister(self)

    # --- sessions (the spec's API) ----------------------------------------------------------------------
    def session(
        self,
        agent: str,
        task: str,
        model: str | None = None,
        *,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> SessionScope:
        """A session for a ``with`` / ``async with`` block: COMPLETED on exit, FAILED if the block raises."""
        return SessionScope(self._recorder, agent, task, model, session_id, metadata)

    def start_session(
        self,
        agent: str,
        task: str,
        model: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        detached: bool = False,
    ) -> Session:
        """Start a session and return it (ACTIVE, stored at once).

        ``detached=True`` makes a session meant to be logged to and ended from other processes (the CLI's
        ``start``): it is not ended when this process exits.
        """
        session, _ = self._recorder.start(agent, task, model, session_id, metadata, detached=detached)
        return session

    def end_session(self, session_id: str, status: SessionStatus | str = SessionStatus.COMPLETED) -> Session:
        """End a session (started here or in another process) and return it as stored."""
        final = SessionStatus.parse(status)
        if final is SessionStatus.ACTIVE:
            raise InvalidStatus("a session cannot be ended with status ACTIVE")
        return self._recorder.end_and_read(validate.session_id(session_id), final)

    def get_session(self, session_id: str) -> Session:
        """The session as stored, including every event recorded so far in this process."""
        self._recorder.writer.flush(timeout=10)
        return self.store.get_session(validate.session_id(session_id))

    def list_sessions(
        self,
        agent: str | None = None,
        status: SessionStatus | str | None = None,
        since: datetime | None = None,
        limit: int | None = 100,
        *,
        until: datetime | None = None,
        offset: int = 0,
    ) -> list[Session]:
        """Sessions newest first; naive ``since``/``until`` are local time (``datetime.now()``)."""
        agent = validate.name("agent", agent) if agent is not None else None
        parsed = SessionStatus.parse(status) if status is not None else None
        start, end = validate.when("since", since), validate.when("until", until)
        limit = validate.count("limit", limit) if limit is not None else None
        offset = validate.count("offset", offset)
        self._recorder.writer.flush(timeout=10)
        return self.store.list_sessions(
            agent=agent, status=parsed, since=start, until=end, limit=limit, offset=offset
        )

    def delete_session(self, session_id: str) -> bool:
        """Delete a session with its events, report and alerts; False if there was none."""
        sid = validate.session_id(session_id)
        state = self._recorder.sessions.get(sid)
        if state is not None and not state.ended:
            self._recorder.end(sid, SessionStatus.ABANDONED)
        self._recorder.writer.flush(timeout=10)
        if self._runner is not None:
            self._runner.flush(10)
        deleted = self.store.delete_session(sid)
        report = self.settings.reports_dir / f"{sid}_report.json"
        report.unlink(missing_ok=True)
        return deleted

    # --- events ---------------------------------------------------------------------------------------
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
        """Record one event in an ACTIVE session; ``tokens_input`` is uncached input, cache tokens separate."""
        return self._recorder.log(
            self._recorder.live(session_id),
            event_type,
            data,
            tokens_input,
            tokens_output,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            reasoning_tokens=reasoning_tokens,
            timestamp=timestamp,
            duration_ms=duration_ms,
        )

    def get_events(self, session_id: str, *, limit: int | None = None, offset: int = 0) -> list[SessionEvent]:
        """A session's stored events in time order."""
        session = self.get_session(session_id)
        return self.store.get_events(session.id, limit=limit, offset=offset)

    @overload
    def tool(self, name: F, /) -> F: ...
    @overload
    def tool(self, name: str | None = None, /, *, event_type: EventType | str = ...) -> Callable[[F], F]: ...
    def tool(self, name: Any = None, /, *, event_type: EventType | str = EventType.TOOL_CALL) -> Any:
        """Decorate a tool (sync, async, generator, async generator, method): calls in a session become spans.

        Use as ``@optimizer.tool``, ``@optimizer.tool("pytest")`` or
        ``@optimizer.tool("read", event_type=EventType.FILE_READ)``.
        """
        etype = EventType.parse(event_type)
        if callable(name) or isinstance(name, staticmethod | classmethod):
            return instrument_tool(name, None, etype)
        if name is not None:
            validate.name("tool name", name)

        def decorate(fn: F) -> F:
            return instrument_tool(fn, name, etype)  # type: ignore[no-any-return]

        return decorate

    # --- analysis ----------------------------------------------------------------------------------------
    def analyze(self, session_id: str) -> OptimizationReport:
        """Analyze a session now (a provisional report while it is ACTIVE), its subagents rolled up.

        The same analysis the stored final report, the REST API and the live dashboard give.
        """
        from .analysis.stored import analyze_stored

        session = self.get_session(session_id)
        return analyze_stored(self.store, session.id, self._config())

    def compare_sessions(self, session_ids: Sequence[str]) -> dict[str, Any]:
        """Side-by-side efficiency, waste and cost of several sessions, best first."""
        from .analysis import compare_reports

        if isinstance(session_ids, str) or len(session_ids) < 1:
            raise InvalidInputError("compare_sessions needs a list of session ids")
        return compare_reports([self.analyze(sid) for sid in session_ids])

    def agent_statistics(self, agent: str, days: int = 30) -> dict[str, Any]:
        """An agent's sessions over the last ``days`` days: efficiency, waste, cost and trend."""
        from .analysis import agent_statistics

        validate.count("days", days, minimum=1, maximum=validate.MAX_DAYS)
        now = datetime.now(UTC)
        sessions = self.list_sessions(agent=agent, since=now - timedelta(days=days), limit=None)
        reports = [self.analyze(s.id) for s in sessions]
        enablements = self.store.list_enablements(agent)
        return agent_statistics(agent, reports, days=days, now=now, enablements=enablements)

    def export_report(self, session_id: str, format: str = "json") -> str:
        """The session's report rendered as ``json``, ``markdown``, ``html`` or ``text``."""
        from .reporting import render

        report = self.analyze(session_id)
        return render(report, format)

    # --- imports -----------------------------------------------------------------------------------------
    def import_sessions(
        self, source: str, path: str | Path | Sequence[str | Path] | None = None, **options: Any
    ) -> ImportSummary:
        """Import transcripts (``"claude-code"``, ``"codex"``) from ``path`` (default: the tool's own folder)."""
        from .importers.runner import import_paths

        if path is None:
            paths = None
        elif isinstance(path, str | Path):
            paths = [Path(path)]
        else:
            paths = [Path(p) for p in path]
        kept = None
        if self.settings.auto_analyze:  # the import keeps what it stores: no reload for the report
            from .importers.kept import KeptEvents

            kept = KeptEvents(self._config())
        summary = import_paths(self.store, source, paths, kept=kept, **options)
        if self.settings.auto_analyze:
            self._finalize_ended(summary.session_ids, kept)
        return summary

    def _finalize_ended(self, session_ids: Iterable[str], kept: KeptEvents | None = None) -> None:
        """Write the report (and raise alerts) of each ended session; imports are analyzed as they land."""
        from .importers.finalize import finalize_imported

        engine = self._analysis_runner().engine
        finalize_imported(
            self.store,
            self.settings.reports_dir,
            session_ids,
            config=self._config(),
            engine=engine,
            guard=_FINALIZE_IMPORT,
            kept=kept,
        )

    def add_notifier(self, notifier: Notifier) -> None:
        """Deliver future alerts to ``notifier`` too."""
        self._notifiers.append(notifier)
        if self._runner is not None:
            self._runner.engine.notifiers.append(notifier)

    def add_report_listener(self, listener: Callable[[OptimizationReport], object]) -> None:
        """Call ``listener`` with every background analysis (sessions ending, live checks, imports, monitor)."""
        self._analysis_runner().engine.report_listeners.append(listener)

    def monitor(self, since: datetime | None = None) -> list[OptimizationReport]:
        """The spec's automated monitoring, once: analyze ended sessions that have no final report, raise alerts.

        Safe to run repeatedly (from cron or a loop): each alert fires once per session and rule.
        """
        from .analysis.monitor import monitor_once

        self._recorder.writer.flush(timeout=10)
        runner = self._analysis_runner()
        reports = monitor_once(
            self.store,
            self.settings.reports_dir,
            engine=runner.engine,
            config=runner.config,
            since=validate.when("since", since),
        )
        runner.engine.flush()
        return reports

    # --- Team Brain adapters (see docs/integrations.md) ---------------------------------------------------
    def current_session_id(self) -> str | None:
        """The id of the session the calling code runs in, if this optimizer records it and it is active."""
        state = current_scope()
        if state is None or state.ended or state.recorder is not self._recorder:
            return None
        return state.id

    def use_tokentracker(self, source: Any = None, *, session_id: str | None = None) -> TokenTrackerAdapter:
        """TokenTracker sync: call the returned adapter after each major operation (logs only new usage)."""
        from .adapters import factories

        return factories.use_tokentracker(self, source, session_id=session_id)

    def wrap_compressor(
        self, source: Any = None, *, session_id: str | None = None
    ) -> ContextCompressorAdapter:
        """ContextCompressor's ``compress_file`` (call the result like it) that also logs the compressed FILE_READ."""
        from .adapters import factories

        return factories.wrap_compressor(self, source, session_id=session_id)

    def with_recovery(self, *args: Any, source: Any = None, **kwargs: Any) -> Callable[[F], F]:
        """ErrorRecovery's ``with_recovery(strategy=..., max_attempts=...)``; every failed attempt becomes an ERROR."""
        from .adapters import factories

        return factories.with_recovery(self, *args, source=source, **kwargs)

    def notify_synapselink(
        self, source: Any = None, *, recipients: Mapping[str, str] | None = None
    ) -> SynapseLinkNotifier:
        """Send alerts through SynapseLink's ``quick_send`` (HIGH alerts to LOGAN,TEAM unless ``recipients`` say)."""
        from .adapters import factories

        return factories.notify_synapselink(self, source, recipients=recipients)

    def use_agenthealth(
        self, source: Any = None, *, include_provisional: bool = False
    ) -> AgentHealthReporter:
        """Report each finished session's efficiency to AgentHealth's ``report_session_health``."""
        from .adapters import factories

        return factories.use_agenthealth(self, source, include_provisional=include_provisional)


_defaults: dict[Path, SessionOptimizer] = {}
_default_lock = threading.Lock()


def get_optimizer() -> SessionOptimizer:
    """The process-wide default optimizer for the configured home (created on first use from the environment)."""
    home = Settings.from_env().home
    with _default_lock:
        optimizer = _defaults.get(home)
        if optimizer is None:
            optimizer = _defaults[home] = SessionOptimizer(home)
        return optimizer


def analyze_session(session_id: str) -> OptimizationReport:
    """Analyze a session with the default optimizer (the spec's ``analyze_session``)."""
    return get_optimizer().analyze(session_id)
