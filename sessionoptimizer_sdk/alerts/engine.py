"""The alert engine: evaluates rules on a report, stores each alert once per (session, rule), delivers new ones.

Delivery runs on a :class:`BatchWorker` (bounded queue, own thread), so a slow or failing notifier never holds
up the analysis (or the agent). Every user callback (report listener, notifier) runs isolated, with a timeout:
an exception of any kind or a hang is retried (notifiers), logged, and counted (counter ``callback_failures``).

Every delivery (one alert to one notifier) that does not happen is logged once and counted twice: in
``callback_failures`` and in ``alerts_undelivered_<cause>``, the cause being ``timeout``, ``network``,
``http_status``, ``redirect``, ``notifier_error``, ``queue_full`` or ``dropped_at_exit`` (still queued or in
flight when the engine closed: at process exit, each notifier gets one attempt per alert within the exit deadline).

A rule that fired on a provisional report is settled by the session's final report: the stored alert gets the
final figures when the rule still holds, else it is marked ``resolved`` and the resolution is delivered.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from sessionoptimizer_sdk._internal.isolate import call_isolated
from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk._internal.safety import Guard
from sessionoptimizer_sdk._internal.worker import BatchWorker
from sessionoptimizer_sdk.alerts.model import Alert
from sessionoptimizer_sdk.alerts.notifiers import Notifier
from sessionoptimizer_sdk.alerts.rules import AlertRule, RuleResult, default_rules
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.store.base import Store

__all__ = ["DROPPED_AT_EXIT", "QUEUE_FULL", "AlertEngine", "AlertUpdates"]

_log = get_logger("sessionoptimizer.alerts")
_COUNT_GUARD = Guard("alerts.count")
_SETTLE_GUARD = Guard("alerts.settle")
CALLBACK_TIMEOUT = 10.0
DROPPED_AT_EXIT = "dropped_at_exit"
QUEUE_FULL = "queue_full"
_MIN_ATTEMPT = 0.05  # shortest call worth starting before the exit deadline (seconds)

#: One queued delivery: the alert and the notifiers it goes to (those registered when it fired).
_Job = tuple[Alert, tuple[Notifier, ...]]


@runtime_checkable
class AlertUpdates(Protocol):
    """A store that can rewrite a stored alert (to settle provisional alerts with the final report)."""

    def update_alert(self, session_id: str, rule: str, message: str, payload: Mapping[str, Any]) -> bool:
        """Replace the message and payload of the (session, rule) alert; False if there is none."""
        ...


class _Delivery:
    """The delivery worker's sink: hands each alert to every notifier."""

    def __init__(self, engine: AlertEngine) -> None:
        self._engine = engine

    def export(self, batch: Sequence[_Job], /) -> int:
        for alert, notifiers in batch:
            self._engine._deliver_job(alert, notifiers)
        return 0


def failure_cause(failure: BaseException) -> str:
    """The counter suffix naming why a delivery failed (a webhook error names its own)."""
    if isinstance(failure, TimeoutError):
        return "timeout"
    cause = getattr(failure, "cause", None)
    return cause if isinstance(cause, str) and cause.isidentifier() else "notifier_error"


def _final_figures(report: OptimizationReport) -> dict[str, Any]:
    """The final report's numbers that the rules judge, for a resolved alert's payload."""
    return {
        "efficiency_score": report.efficiency_score,
        "total_waste_tokens": report.total_waste_tokens,
        "active_minutes": report.active_minutes,
        "error_rate": report.metrics.get("error_rate", 0.0),
        "max_token_spike_ratio": report.metrics.get("max_token_spike_ratio", 0.0),
    }


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
        #: Deliveries (alert x notifier) that did not happen, by cause.
        self.undelivered: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._outstanding = 0  # deliveries queued or in flight
        self._abandoned = False  # closed: what was outstanding is counted, the thread delivers nothing more
        self._exit_deadline: float | None = (
            None  # monotonic; set when the process exits (or the engine closes)
        )
        self._warned_no_update = False
        self._worker: BatchWorker[_Job] = BatchWorker(
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
        """Alerts not delivered because the delivery queue was full or closed."""
        return self._worker.dropped

    def evaluate(self, report: OptimizationReport) -> list[Alert]:
        """Alerts newly fired by ``report`` (stored, and queued for delivery); each fires once per session and rule.

        A final report also settles the alerts its session fired on provisional reports (see the module doc).
        """
        for listener in list(self.report_listeners):
            failure = call_isolated(listener, report, timeout=self.callback_timeout, name="report-listener")
            if failure is not None:  # a listener must not stop alerting
                self._callback_failed("report listener failed", listener, failure)
        fired: list[Alert] = []
        results: dict[str, RuleResult | None] = {}
        for rule in self.rules:
            try:
                result = rule.check(report)
            except Exception as exc:  # a broken rule must not stop the others
                _log.warning("alert rule failed", rule=getattr(rule, "name", repr(rule)), error=repr(exc))
                continue
            results[rule.name] = result
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
        if not report.provisional:
            with _SETTLE_GUARD:  # a store fault here costs the settling, never the new alerts
                self._settle_provisional(report, results)
        return fired

    # --- provisional alerts settled by the final report -------------------------------------------------
    def _settle_provisional(
        self, report: OptimizationReport, results: Mapping[str, RuleResult | None]
    ) -> None:
        """Give each alert this session fired on a provisional report the final figures, or resolve it."""
        for row in self.store.list_alerts(session_id=report.session_id, limit=10_000):
            payload = row.get("payload") or {}
            rule = str(row["rule"])
            if not payload.get("provisional") or rule not in results:
                continue
            result = results[rule]
            if result is not None:  # still holds: the final figures replace the provisional ones
                message, final = result
                self._update_stored(
                    report.session_id,
                    rule,
                    message,
                    {**final, "provisional": False, "status": "firing", "fired_on_provisional": True},
                )
                continue
            resolved = {
                **payload,
                "provisional": False,
                "status": "resolved",
                "resolved_at": datetime.now(UTC).isoformat(),
                "final": _final_figures(report),
            }
            message = (
                f"Resolved by the final report (efficiency {report.efficiency_score:.1f}%, waste "
                f"{report.total_waste_tokens:,} tokens); it fired on a provisional report: {row['message']}"
            )
            self._update_stored(report.session_id, rule, message, resolved)
            self._deliver(
                Alert(
                    session_id=report.session_id,
                    agent=report.agent,
                    rule=rule,
                    priority=str(row["priority"]),
                    message=message,
                    created_at=datetime.now(UTC),
                    payload=resolved,
                    status="resolved",
                )
            )

    def _update_stored(self, session_id: str, rule: str, message: str, payload: Mapping[str, Any]) -> None:
        store = self.store
        if isinstance(store, AlertUpdates):
            store.update_alert(session_id, rule, message, payload)
        elif not self._warned_no_update:
            self._warned_no_update = True
            _log.warning(
                "store cannot update alerts; a provisional alert keeps its provisional figures",
                store=type(store).__name__,
                session_id=session_id,
                rule=rule,
            )

    # --- delivery ---------------------------------------------------------------------------------
    def _deliver(self, alert: Alert) -> None:
        notifiers = tuple(self.notifiers)
        if not notifiers:
            return
        n = len(notifiers)
        if not self._abandoned and not self._worker.closed:
            with self._lock:
                self._outstanding += n
            if self._worker.put((alert, notifiers)):
                return
            with self._lock:
                if self._abandoned:
                    return  # close() counted these already
                self._outstanding -= n
        cause = DROPPED_AT_EXIT if self._abandoned or self._worker.closed else QUEUE_FULL
        self._undelivered(n, cause, rule=alert.rule, session_id=alert.session_id)

    def _on_drop(self, n: int, cause: str) -> None:
        if cause not in {QUEUE_FULL, "closed"}:  # those are counted by _deliver, which knows the notifiers
            _log.warning("alert delivery lost", count=n, cause=cause)

    def begin_exit(self, deadline: float) -> None:
        """The process is exiting by ``deadline`` (monotonic): one attempt per delivery, none started after it."""
        if self._exit_deadline is None or deadline < self._exit_deadline:
            self._exit_deadline = deadline

    def _time_left(self) -> float | None:
        """Seconds left before the exit deadline; None when not exiting."""
        deadline = self._exit_deadline
        return None if deadline is None else deadline - time.monotonic()

    def _deliver_job(self, alert: Alert, notifiers: tuple[Notifier, ...]) -> None:
        """Send ``alert`` to each notifier (on the delivery thread); stop when the engine was abandoned."""
        for notifier in notifiers:
            left = self._time_left()
            if self._abandoned or (left is not None and left < _MIN_ATTEMPT):
                return  # close() counts it as dropped_at_exit
            failure, attempts = self._send(notifier, alert)
            with self._lock:
                if self._abandoned:
                    return  # close() counted it: its outcome came too late
                self._outstanding -= 1
            if failure is not None:
                self._undelivered(
                    1,
                    failure_cause(failure),
                    notifier=repr(notifier),
                    rule=alert.rule,
                    session_id=alert.session_id,
                    attempts=attempts,
                    error=repr(failure),
                )

    def _send(self, notifier: Notifier, alert: Alert) -> tuple[BaseException | None, int]:
        """Call the notifier with retries (one attempt once exiting); the last failure or None, and attempts made."""
        attempts = 1 + max(int(getattr(notifier, "retries", 2)), 0)
        failure: BaseException | None = None
        for attempt in range(attempts):
            left = self._time_left()
            timeout = (
                self.callback_timeout if left is None else max(_MIN_ATTEMPT, min(left, self.callback_timeout))
            )
            failure = call_isolated(notifier.notify, alert, timeout=timeout, name="notifier")
            if failure is None:
                return None, attempt + 1
            if attempt + 1 >= attempts or self._exit_deadline is not None:
                return failure, attempt + 1  # exiting: no retry, no backoff
            time.sleep(self.retry_backoff * (2**attempt))
        return failure, attempts

    def _undelivered(self, n: int, cause: str, **fields: object) -> None:
        """Log and count ``n`` deliveries that did not happen, with their cause."""
        self.failed_deliveries += n
        self.undelivered[cause] += n
        _log.warning("alert not delivered", count=n, cause=cause, **fields)
        self._count_failure(n, f"alerts_undelivered_{cause}")

    def _callback_failed(self, message: str, callback: object, failure: BaseException) -> None:
        _log.warning(message, callback=repr(callback), error=repr(failure))
        self._count_failure(1)

    def _count_failure(self, n: int, counter: str | None = None) -> None:
        self.failed_callbacks += n
        with _COUNT_GUARD:
            self.store.add_counter("callback_failures", n)
            if counter is not None:
                self.store.add_counter(counter, n)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued alerts were delivered (or gave up); False if ``timeout`` ran out first."""
        return self._worker.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued within ``timeout`` (one attempt each), stop the thread; idempotent.

        Deliveries still queued or in flight then are logged once and counted as ``dropped_at_exit``.
        """
        self.begin_exit(time.monotonic() + timeout)
        self._worker.close(timeout)
        with self._lock:
            if self._abandoned:
                return
            self._abandoned = True
            left, self._outstanding = self._outstanding, 0
        if left:
            self._undelivered(
                left,
                DROPPED_AT_EXIT,
                notifiers=sorted({repr(n) for n in self.notifiers}),
            )
