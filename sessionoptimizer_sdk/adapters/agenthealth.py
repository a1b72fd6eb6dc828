"""AgentHealth adapter: report each analysed session's efficiency with ``report_session_health``.

The metrics are the spec's (``efficiency_score``, ``waste_tokens``, ``issue_count``) plus a few that AgentHealth
can chart without re-reading the report (cost, tokens, active minutes). Provisional reports of running sessions
are not sent unless asked, so AgentHealth sees one figure per finished session.

"After each analysis" is the optimizer's report-listener hook (``add_report_listener``), which every background
analysis passes through: sessions ending, live checks, imports and ``monitor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ._base import require, tool_failed

if TYPE_CHECKING:
    from ..analysis.report import OptimizationReport
    from ._base import Optimizer

__all__ = ["AgentHealthReporter", "health_metrics"]


def health_metrics(report: OptimizationReport) -> dict[str, Any]:
    """The metrics sent for one report: the spec's three first, then cost, tokens and time."""
    return {
        "efficiency_score": report.efficiency_score,
        "waste_tokens": report.total_waste_tokens,
        "issue_count": len(report.issues),
        "cost_usd": report.cost_usd,
        "total_tokens": report.totals.total_tokens,
        "active_minutes": report.active_minutes,
        "provisional": report.provisional,
    }


class AgentHealthReporter:
    """Calls AgentHealth's ``report_session_health(agent=..., session_id=..., metrics={...})`` per analysis.

    Args:
        optimizer: the optimizer whose sessions are analysed (used by :meth:`report_session`).
        source: the ``agenthealth`` module or its ``report_session_health`` function (default: import it).
        include_provisional: also report analyses of sessions that are still running.
        attach: report every background analysis of ``optimizer`` (sessions ending, live checks) from now on.
    """

    name: ClassVar[str] = "agenthealth"
    module: ClassVar[str] = "agenthealth"

    def __init__(
        self,
        optimizer: Optimizer,
        source: Any = None,
        *,
        include_provisional: bool = False,
        attach: bool = True,
    ) -> None:
        self._report_health = require(source, ("report_session_health",), "AgentHealth", module=self.module)[
            "report_session_health"
        ]
        self._optimizer = optimizer
        self.include_provisional = include_provisional
        self.reported = 0
        self.failures = 0
        if attach:
            optimizer.add_report_listener(self)

    def __call__(self, report: OptimizationReport) -> bool:
        """Report one analysis; True if AgentHealth accepted it (a failing AgentHealth is logged, not raised)."""
        if report.provisional and not self.include_provisional:
            return False
        try:
            self._report_health(
                agent=report.agent, session_id=report.session_id, metrics=health_metrics(report)
            )
        except Exception as exc:
            self.failures += 1
            tool_failed("AgentHealth", "report_session_health", exc)
            return False
        self.reported += 1
        return True

    def report_session(self, session_id: str) -> bool:
        """Analyse ``session_id`` now and report it (for sessions analysed before the reporter was attached)."""
        return self(self._optimizer.analyze(session_id))
