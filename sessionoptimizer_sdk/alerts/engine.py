"""The alert engine: evaluates rules on a report, stores each alert once per (session, rule), delivers new ones.

Delivery happens on a daemon thread with a bounded queue, so a slow or failing notifier never holds up the
analysis (or the agent): each notifier is retried with a short backoff, then its failure is logged.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk.alerts.model import Alert
from sessionoptimizer_sdk.alerts.notifiers import Notifier
from sessionoptimizer_sdk.alerts.rules import AlertRule, default_rules
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.store.base import Store

__all__ = ["AlertEngine"]

_log = get_logger("sessionoptimizer.alerts")


class AlertEngine:
    """Rules + notifiers over one store; ``evaluate`` is safe to call from any thread."""

    def __init__(
        self,
        store: Store,
        rules: Sequence[AlertRule] | None = None,
        notifiers: Sequence[Notifier] = (),
        *,
        queue_size: int = 1_000,
        retry_backoff: float = 0.5,
    ) -> None:
        self.store = store
        self.rules: list[AlertRule] = list(default_rules() if rules is None else rules)
        self.notifiers: list[Notifier] = list(notifiers)
        #: Called with every evaluated report (final and provisional), e.g. to forward health metrics.
        self.report_listeners: list[Callable[[OptimizationReport], object]] = []
        self.retry_backoff = retry_backoff
        self.dropped = 0
        self.failed_deliveries = 0
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def evaluate(self, report: OptimizationReport) -> list[Alert]:
        """Alerts newly fired by ``report`` (stored, and queued for delivery); each fires once per session and rule."""
        for listener in list(self.report_listeners):
            try:
                listener(report)
            except Exception as exc:  # a listener must not stop alerting
                _log.warning("report listener failed", listener=repr(listener), error=repr(exc))
        fired: list[Alert] = []
        for rule in self.rules:
            try:
                result = rule.check(report)
            except Exception as exc:  # a broken rule must not stop the others
                _log.warning("alert rule failed", rule=getattr(rule, "name", repr(rule)), error=repr(exc))
                continue
            if result is None:
                continue
            message, payload = result
            alert = Alert(
                session_id=report.session_id,
                agent=report.agent,
                rule=rule.name,
                priority=rule.priority,
                message=message,
                created_at=datetime.now(UTC),
                payload={**payload, "provisional": report.provisional},
            )
            if self.store.insert_alert(
                alert.session_id, alert.agent, alert.rule, alert.priority, message, alert.payload
            ):
                fired.append(alert)
                self._deliver(alert)
        return fired

    # --- delivery ---------------------------------------------------------------------------------
    def _deliver(self, alert: Alert) -> None:
        if not self.notifiers or self._closed:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1
            _log.warning(
                "alert delivery queue full; alert not delivered", rule=alert.rule, session_id=alert.session_id
            )

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._worker, name="sessionoptimizer-alerts", daemon=True
                )
                self._thread.start()

    def _worker(self) -> None:
        while True:
            alert = self._queue.get()
            try:
                if alert is None:
                    return
                for notifier in self.notifiers:
                    self._send(notifier, alert)
            finally:
                self._queue.task_done()

    def _send(self, notifier: Notifier, alert: Alert) -> None:
        attempts = 1 + max(int(getattr(notifier, "retries", 2)), 0)
        for attempt in range(attempts):
            try:
                notifier.notify(alert)
                return
            except Exception as exc:
                if attempt + 1 < attempts:
                    time.sleep(self.retry_backoff * (2**attempt))
                    continue
                self.failed_deliveries += 1
                _log.warning(
                    "alert notifier failed",
                    notifier=repr(notifier),
                    rule=alert.rule,
                    attempts=attempts,
                    error=repr(exc),
                )

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued alerts were delivered (or gave up); False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within ``timeout``) and stop the delivery thread; idempotent."""
        if self._closed:
            return
        self.flush(timeout)
        self._closed = True
        thread = self._thread
        if thread is not None and thread.is_alive():
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                return
            thread.join(max(0.0, timeout))
