"""Fake AgentHealth: ``report_session_health`` records each report."""

from __future__ import annotations

from typing import Any

from _record import record

REPORTS: list[dict[str, Any]] = []


def report_session_health(*, agent: str, session_id: str, metrics: dict[str, Any]) -> None:
    """Store one session's health metrics for an agent."""
    REPORTS.append(
        record(
            "agenthealth", "report_session_health", agent=agent, session_id=session_id, metrics=dict(metrics)
        )
    )
