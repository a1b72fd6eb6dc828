"""Alert rules: the spec's five thresholds as data, each a small rule over a (possibly provisional) report.

| rule | default | priority |
|---|---|---|
| low_efficiency | efficiency < 70% (a live session: after 20 events and 20,000 fresh tokens) | HIGH |
| high_waste | waste > 5,000 tokens | MEDIUM |
| long_session | active > 60 min | MEDIUM |
| high_error_rate | agent errors > 30% of tool calls | HIGH |
| token_spike | fresh tokens > 3x running average | LOW |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sessionoptimizer_sdk.analysis.report import OptimizationReport

__all__ = [
    "PROVISIONAL_MIN_EVENTS",
    "PROVISIONAL_MIN_FRESH_TOKENS",
    "AlertRule",
    "HighErrorRateRule",
    "HighWasteRule",
    "LongSessionRule",
    "LowEfficiencyRule",
    "RuleResult",
    "TokenSpikeRule",
    "default_rules",
]

#: A live session's efficiency is judged only after this much work (see ``LowEfficiencyRule``).
PROVISIONAL_MIN_EVENTS = 20
PROVISIONAL_MIN_FRESH_TOKENS = 20_000

#: What a rule returns when it fires: (message, payload).
RuleResult = tuple[str, Mapping[str, Any]]


@runtime_checkable
class AlertRule(Protocol):
    """A condition on a report; ``check`` returns (message, payload) when it fires, else None."""

    @property
    def name(self) -> str:
        """The rule's id (alerts fire once per session and rule name)."""
        ...

    @property
    def priority(self) -> str:
        """HIGH, MEDIUM or LOW."""
        ...

    def check(self, report: OptimizationReport) -> RuleResult | None:
        """Evaluate the rule on a report."""
        ...


@dataclass(frozen=True, slots=True)
class LowEfficiencyRule:
    """Efficiency under ``threshold`` percent (spec: <70%, HIGH); waits for ``min_fresh_tokens`` of work.

    The score judges a whole session, so a provisional (live) report is judged only once the session has done
    ``provisional_min_events`` events and ``provisional_min_fresh_tokens`` fresh tokens: three early re-reads
    would otherwise page as a 20% session that ends at 98%. The final report is always judged.
    """

    threshold: float = 70.0
    min_fresh_tokens: int = 0
    name: str = "low_efficiency"
    priority: str = "HIGH"
    provisional_min_events: int = PROVISIONAL_MIN_EVENTS
    provisional_min_fresh_tokens: int = PROVISIONAL_MIN_FRESH_TOKENS

    def check(self, report: OptimizationReport) -> RuleResult | None:
        """Fire when the score is under the threshold (on a provisional report: once there is enough work)."""
        fresh = report.totals.fresh_tokens
        if fresh < self.min_fresh_tokens or report.efficiency_score >= self.threshold:
            return None
        if report.provisional and (
            report.event_count < self.provisional_min_events or fresh < self.provisional_min_fresh_tokens
        ):
            return None
        top = report.issues[0].description if report.issues else "none"
        return (
            f"Low efficiency {report.efficiency_score:.1f}% (threshold {self.threshold:g}%); top issue: {top}",
            {"efficiency_score": report.efficiency_score, "threshold": self.threshold},
        )


@dataclass(frozen=True, slots=True)
class HighWasteRule:
    """Total waste over ``threshold`` tokens (spec: >5,000, MEDIUM)."""

    threshold: int = 5_000
    name: str = "high_waste"
    priority: str = "MEDIUM"

    def check(self, report: OptimizationReport) -> RuleResult | None:
        """Fire when total waste exceeds the threshold."""
        if report.total_waste_tokens <= self.threshold:
            return None
        return (
            f"High waste: {report.total_waste_tokens:,} tokens (threshold {self.threshold:,})",
            {"total_waste_tokens": report.total_waste_tokens, "threshold": self.threshold},
        )


@dataclass(frozen=True, slots=True)
class LongSessionRule:
    """Active time over ``minutes`` (spec: >60 min, MEDIUM)."""

    minutes: float = 60.0
    name: str = "long_session"
    priority: str = "MEDIUM"

    def check(self, report: OptimizationReport) -> RuleResult | None:
        """Fire when active minutes exceed the limit."""
        if report.active_minutes <= self.minutes:
            return None
        return (
            f"Long session: {report.active_minutes:.0f} active minutes (threshold {self.minutes:g})",
            {
                "active_minutes": report.active_minutes,
                "wall_minutes": report.wall_minutes,
                "threshold": self.minutes,
            },
        )


@dataclass(frozen=True, slots=True)
class HighErrorRateRule:
    """Agent errors over ``threshold`` of tool calls (spec: >30%, HIGH); rejections and denials excluded."""

    threshold: float = 0.30
    min_calls: int = 3
    name: str = "high_error_rate"
    priority: str = "HIGH"

    def check(self, report: OptimizationReport) -> RuleResult | None:
        """Fire when the counted error rate exceeds the threshold."""
        rate = report.metrics.get("error_rate", 0.0)
        calls = report.metrics.get("tool_calls", 0.0)
        if calls < self.min_calls or rate <= self.threshold:
            return None
        return (
            f"High error rate: {rate:.0%} of {int(calls)} tool calls failed (threshold {self.threshold:.0%})",
            {"error_rate": rate, "tool_calls": calls, "threshold": self.threshold},
        )


@dataclass(frozen=True, slots=True)
class TokenSpikeRule:
    """An event over ``factor`` times the running average of fresh tokens (spec: >3x, LOW)."""

    factor: float = 3.0
    name: str = "token_spike"
    priority: str = "LOW"

    def check(self, report: OptimizationReport) -> RuleResult | None:
        """Fire when the largest spike ratio exceeds the factor."""
        ratio = report.metrics.get("max_token_spike_ratio", 0.0)
        if ratio <= self.factor:
            return None
        return (
            f"Token spike: {ratio:.1f}x the running average (threshold {self.factor:g}x)",
            {"max_ratio": ratio, "threshold": self.factor},
        )


def default_rules(
    *,
    min_efficiency: float = 70.0,
    max_waste_tokens: int = 5_000,
    max_active_minutes: float = 60.0,
    max_error_rate: float = 0.30,
    spike_factor: float = 3.0,
) -> list[AlertRule]:
    """The spec's five rules with configurable thresholds."""
    return [
        LowEfficiencyRule(min_efficiency),
        HighWasteRule(max_waste_tokens),
        LongSessionRule(max_active_minutes),
        HighErrorRateRule(max_error_rate),
        TokenSpikeRule(spike_factor),
    ]
