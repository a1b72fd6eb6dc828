"""Runs analysis off the agent's thread: one lazily started daemon worker, a bounded set of pending sessions.

Repeated submits for one session coalesce (a final submit wins over a provisional one); provisional analyses
of an ACTIVE session are rate-limited to one per ``provisional_interval`` per session. Every fault is
contained: it is logged, counted in ``errors`` and never reaches the agent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk._internal.safety import handle_internal_errors
from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.alerts.notifiers import Notifier
from sessionoptimizer_sdk.alerts.rules import AlertRule, default_rules
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.stored import analyze_stored, finalize_session
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.store.base import Store

__all__ = ["AnalysisRunner", "analyze_stored"]

_log = get_logger(__name__)


def rules_for(config: AnalysisConfig) -> list[AlertRule]:
    """The spec's alert rules with thresholds taken from an analysis config."""
    return default_rules(
        max_waste_tokens=config.high_waste_tokens,
        max_active_minutes=config.long_session_minutes,
        max_error_rate=config.error_rate_threshold,
        spike_factor=config.spike_factor,
    )


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
        provisional_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.config = config or AnalysisConfig(monthly_budget_usd=settings.monthly_budget_usd)
        self.engine = AlertEngine(store, rules_for(self.config) if rules is None else rules, notifiers)
        self.max_pending = max_pending
        self.provisional_interval = provisional_interval
        self.dropped = 0
        self.errors: list[BaseException] = []
        self._pending: dict[str, bool] = {}  # session id -> final; insertion order is FIFO
        self._last_provisional: dict[str, float] = {}
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, session_id: str, final: bool) -> None:
        """Queue a session for analysis (final: it ended; else a provisional check of live alert rules)."""
        with self._cond:
            if self._closed:
                return
            if session_id not in self._pending and len(self._pending) >= self.max_pending:
                self.dropped += 1
                return
            self._pending[session_id] = self._pending.get(session_id, False) or final
            self._ensure_thread()
            self._cond.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._worker, name="sessionoptimizer-analysis", daemon=True
            )
            self._thread.start()

    def _next(self) -> tuple[str, bool] | None:
        """The next runnable session (called with the lock held); None when only rate-limited ones remain."""
        now = time.monotonic()
        for sid, final in self._pending.items():
            if final or now - self._last_provisional.get(sid, -1e9) >= self.provisional_interval:
                del self._pending[sid]
                return sid, final
        return None

    def _worker(self) -> None:
        while True:
            with self._cond:
                item = self._next()
                while item is None:
                    if self._closed and not self._pending:
                        return
                    self._cond.wait(timeout=0.05 if self._pending else 1.0)
                    item = self._next()
                self._busy = True
            sid, final = item
            try:
                self._process(sid, final)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _process(self, session_id: str, final: bool) -> None:
        try:
            with handle_internal_errors("analysis.runner"):
                try:
                    self._analyze(session_id, final)
                except Exception as exc:
                    self.errors.append(exc)
                    raise
        except Exception:  # only in strict mode (the guard re-raises); already recorded above
            _log.error("analysis failed", session_id=session_id)
        if final:
            self._last_provisional.pop(session_id, None)

    def _analyze(self, session_id: str, final: bool) -> None:
        reports_dir = self.settings.reports_dir
        if not final:
            self._last_provisional[session_id] = time.monotonic()
            report = analyze_stored(self.store, session_id, self.config, datetime.now(UTC))
            if report.provisional:
                self.engine.evaluate(report)
                return
        # final, or it ended since it was submitted: store the report, write its file, raise alerts
        finalize_session(self.store, reports_dir, session_id, config=self.config, engine=self.engine)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted session was analyzed; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return self.engine.flush(max(0.0, deadline - time.monotonic()))

    def close(self, timeout: float = 10.0) -> None:
        """Finish pending work within ``timeout``, then stop the worker and the alert delivery; idempotent."""
        deadline = time.monotonic() + timeout
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        self.engine.close(max(0.0, deadline - time.monotonic()))
