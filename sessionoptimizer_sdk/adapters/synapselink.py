"""SynapseLink adapter: an alert notifier that sends the spec's message through ``quick_send``.

Added to the optimizer (``notifiers=[...]`` or ``add_notifier``), it is called by the alert engine on its own
thread as soon as a rule fires, live while the session runs or when it ends. Recipients are chosen per alert
priority; a priority with no recipients is not sent (the spec only messages people for HIGH alerts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._base import require, skipped

if TYPE_CHECKING:
    from ..alerts.model import Alert
    from ..analysis.report import OptimizationReport
    from ._base import Optimizer

__all__ = ["DEFAULT_RECIPIENTS", "SynapseLinkNotifier", "format_alert"]

#: Who is messaged for each alert priority (the spec's snippet sends HIGH alerts to "LOGAN,TEAM").
DEFAULT_RECIPIENTS: Mapping[str, str] = {"HIGH": "LOGAN,TEAM"}


def format_alert(alert: Alert, report: OptimizationReport | None) -> tuple[str, str]:
    """(subject, body) in the spec's format: agent, task, efficiency, issue count, waste and top issue."""
    subject = f"{alert.rule.replace('_', ' ').title()} Alert: {alert.session_id}"
    if report is None:
        return subject, f"Agent: {alert.agent}\n\n{alert.message}"
    top = report.issues[0].description if report.issues else "None"
    body = (
        f"Agent: {report.agent}\n"
        f"Task: {report.task}\n"
        f"Efficiency: {report.efficiency_score:.1f}%\n"
        f"Issues: {len(report.issues)}\n"
        f"Waste: {report.total_waste_tokens:,} tokens\n\n"
        f"Top Issue: {top}\n\n"
        f"Alert: {alert.message}"
    )
    return subject, body


class SynapseLinkNotifier:
    """Sends alerts with SynapseLink's ``quick_send(to, subject, body, priority=...)``.

    Args:
        optimizer: the optimizer whose store holds the sessions (used to describe the session in the message).
        source: the ``synapselink`` module or its ``quick_send`` function (default: import it).
        recipients: ``{priority: "NAME,NAME"}``; priorities missing here are not sent.
        retries: how many times the alert engine retries a failed ``quick_send``.
    """

    name: ClassVar[str] = "synapselink"
    module: ClassVar[str] = "synapselink"

    def __init__(
        self,
        optimizer: Optimizer,
        source: Any = None,
        *,
        recipients: Mapping[str, str] | None = None,
        retries: int = 2,
    ) -> None:
        self._quick_send = require(source, ("quick_send",), "SynapseLink", module=self.module)["quick_send"]
        self._optimizer = optimizer
        chosen = DEFAULT_RECIPIENTS if recipients is None else recipients
        self.recipients = {priority.upper(): to for priority, to in chosen.items() if to}
        self.retries = retries
        self.sent = 0

    def _report(self, session_id: str) -> OptimizationReport | None:
        """The session's analysis now (provisional while it runs); None if it cannot be analyzed."""
        from ..analysis.stored import analyze_stored

        try:
            return analyze_stored(self._optimizer.store, session_id, self._optimizer.analysis_config)
        except Exception as exc:  # describe the alert without the report rather than not at all
            skipped("SynapseLink", f"session could not be analyzed: {exc!r}", session_id=session_id)
            return None

    def notify(self, alert: Alert) -> None:
        """Send ``alert`` to its priority's recipients; a ``quick_send`` error is raised for the engine to retry."""
        to = self.recipients.get(alert.priority.upper())
        if not to:
            return
        subject, body = format_alert(alert, self._report(alert.session_id))
        self._quick_send(to, subject, body, priority=alert.priority.upper())
        self.sent += 1

    def __repr__(self) -> str:
        return f"SynapseLinkNotifier(recipients={self.recipients!r})"
