"""The alert engine: evaluates rules on a report, stores each alert once per (session, rule), delivers new ones.

Delivery runs on a :class:`BatchWorker` (bounded queue, own thread), so a slow or failing notifier never holds
up the analysis (or the agent). Every user callback (report listener, notifier) runs isolated, with a timeout:
an exception of any kind or a hang is retried (notifiers), logged, and counted (counter ``callback_failures``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sessionoptimizer_sdk._internal.isolate import call_isolated
from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk._internal.safety import Guard
from sessionoptimizer_sdk._internal.worker import BatchWorker
from sessionoptimizer_sdk.alerts.model import Alert
from sessionoptimizer_sdk.alerts.notifiers import Notifier
from sessionoptimizer_sdk.alerts.rules import AlertRule, default_rules
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.store.base import Store

__all__ = ["AlertEngine"]

_log = get_logger("sessionoptimizer.alerts")
_COUNT_GUARD = Guard("alerts.count")
CALLBACK_TIMEOUT = 10.0


class _Delivery:
    """The delivery worker's sink: hands each alert to every notifier."""

    def __init__(self, engine: AlertEngine) -> None:
        self._engine = engine

    def export(self, batch: Sequence[Alert], /) -> int:
        for alert in batch:
            for notifier in list(self._engine.notifiers):
                self._engine._send(notifier, alert)
        return 0


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
        callback_timeout: float = CALLBACK_TIMEOUT,
    ) -> None:
        self.store = store
        self.rules: list[AlertRule] = list(default_rules() if rules is None else rules)
        self.notifiers: list[Notifier] = list(notifiers)
        #: Called with every evaluated report (final and provisional), e.g. to forward health metrics.
        self.report_listeners: list[Callable[[OptimizationReport], object]] = []
        self.retry_backoff = retry_backoff
        self.callback_timeout = callback_timeout
        self.failed_deliveries = 0
        self.failed_callbacks = 0
        self._worker: BatchWorker[Alert] = BatchWorker(
            _Delivery(self),
            name="sessionoptimizer-alerts",
            batch_size=1,
            queue_size=queue_size,
            interval=1.0,
            block_timeout=0.0,
            on_drop=self._on_drop,
        )

    @property
    def dropped(self) -> int:
        """Alerts not delivered because the delivery queue was full."""
        return self._worker.dropped

    def evaluate(self, report: OptimizationReport) -> list[Alert]:
        """Alerts newly fired by ``report`` (stored, and queued for delivery); each fires once per session and rule."""
        for listener in list(self.report_listeners):
            failure = call_isolated(listener, report, timeout=self.callback_timeout, name="report-listener")
            if failure is not None:  # a listener must not stop alerting
                self._callback_failed("report listener failed", listener, failure)
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
        if self.notifiers and not self._worker.closed:
            self._worker.put(alert)

    def _on_drop(self, n: int, cause: str) -> None:
        _log.warning("alert delivery queue full; alert not delivered", count=n, cause=cause)

    def _send(self, notifier: Notifier, alert: Alert) -> None:
        attempts = 1 + max(int(getattr(notifier, "retries", 2)), 0)
        for attempt in range(attempts):
            failure = call_isolated(notifier.notify, alert, timeout=self.callback_timeout, name="notifier")
            if failure is None:
                return
            if attempt + 1 < attempts:
                time.sleep(self.retry_backoff * (2**attempt))
                continue
            self.failed_deliveries += 1
            _log.warning(
                "alert notifier failed",
                notifier=repr(notifier),
                rule=alert.rule,
                attempts=attempts,
                error=repr(failure),
            )
            self._count_failure()

    def _callback_failed(self, message: str, callback: object, failure: BaseException) -> None:
        _log.warning(message, callback=repr(callback), error=repr(failure))
        self._count_failure()

    def _count_failure(self) -> None:
        self.failed_callbacks += 1
        with _COUNT_GUARD:
            self.store.add_counter("callback_failures", 1)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued alerts were delivered (or gave up); False if ``timeout`` ran out first."""
        return self._worker.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within ``timeout``) and stop the delivery thread; idempotent."""
        self._worker.close(timeout)
