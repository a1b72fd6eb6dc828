"""The analysis result: findings, recommendations and the report, with their documented JSON form."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sessionoptimizer_sdk.models import TokenUsage

__all__ = [
    "FINDING_TYPES",
    "SCHEMA_VERSION",
    "AnalyzerError",
    "Finding",
    "OptimizationReport",
    "Recommendation",
    "Severity",
]

SCHEMA_VERSION = 1
#: The built-in finding ``type`` values (third-party analyzers add their own).
FINDING_TYPES = (
    "repeated_file_read",
    "large_uncompressed_read",
    "retry_loop",
    "high_error_rate",
    "thinking_overhead",
    "token_spike",
    "cache_miss",
    "long_session",
    "high_waste",
)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Severity(StrEnum):
    """How much a finding matters; alert priorities use the same upper-case words."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


def _num(value: float | None, digits: int = 6) -> float | None:
    """A JSON-safe float (None for NaN/inf) rounded for stable output."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected issue: what, how bad, which events prove it and what it wasted."""

    type: str
    severity: Severity
    description: str
    waste_tokens: int = 0
    waste_usd: float | None = None
    evidence: tuple[str, ...] = ()
    waste_by_kind: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: Cache reads of the redundant content by later calls (not in ``waste_tokens``; in ``waste_usd``).
    carryover_tokens: int = 0
    #: USD of ``carryover_tokens`` at the cache-read rate (part of ``waste_usd``).
    carryover_usd: float | None = None
    #: False for a cost the agent could not have avoided (reported, never counted as waste).
    avoidable: bool = True
    #: USD of an unavoidable cost (``avoidable`` False), else None.
    cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding's JSON object (see docs/report-schema.md)."""
        return {
            "type": self.type,
            "severity": self.severity.value,
            "description": self.description,
            "waste_tokens": self.waste_tokens,
            "waste_usd": _num(self.waste_usd),
            "evidence": list(self.evidence),
            "waste_by_kind": dict(self.waste_by_kind),
            "details": dict(self.details),
            "carryover_tokens": self.carryover_tokens,
            "carryover_usd": _num(self.carryover_usd),
            "avoidable": self.avoidable,
            "cost_usd": _num(self.cost_usd),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output."""
        return cls(
            type=str(d["type"]),
            severity=Severity(d["severity"]),
            description=str(d["description"]),
            waste_tokens=int(d.get("waste_tokens", 0)),
            waste_usd=d.get("waste_usd"),
            evidence=tuple(d.get("evidence", ())),
            waste_by_kind=dict(d.get("waste_by_kind", {})),
            details=dict(d.get("details", {})),
            carryover_tokens=int(d.get("carryover_tokens", 0)),
            carryover_usd=d.get("carryover_usd"),
            avoidable=bool(d.get("avoidable", True)),
            cost_usd=d.get("cost_usd"),
        )


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A concrete action tied to findings, with the savings it would have brought this session."""

    title: str
    detail: str
    estimated_savings_tokens: int = 0
    estimated_savings_usd: float | None = None
    issue_types: tuple[str, ...] = ()
    #: Cache-read carry-over the action would also save (not in the token savings; in the USD savings).
    carryover_tokens: int = 0
    #: USD of ``carryover_tokens`` at the cache-read rate (part of ``estimated_savings_usd``).
    carryover_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The recommendation's JSON object."""
        return {
            "title": self.title,
            "detail": self.detail,
            "estimated_savings_tokens": self.estimated_savings_tokens,
            "estimated_savings_usd": _num(self.estimated_savings_usd),
            "issue_types": list(self.issue_types),
            "carryover_tokens": self.carryover_tokens,
            "carryover_usd": _num(self.carryover_usd),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Recommendation:
        """Rebuild a recommendation from :meth:`to_dict` output."""
        return cls(
            title=str(d["title"]),
            detail=str(d["detail"]),
            estimated_savings_tokens=int(d.get("estimated_savings_tokens", 0)),
            estimated_savings_usd=d.get("estimated_savings_usd"),
            issue_types=tuple(d.get("issue_types", ())),
            carryover_tokens=int(d.get("carryover_tokens", 0)),
            carryover_usd=d.get("carryover_usd"),
        )


@dataclass(frozen=True, slots=True)
class AnalyzerError:
    """An analyzer that raised: the others still ran, and the report says which one failed and why."""

    analyzer: str
    error: str

    def to_dict(self) -> dict[str, str]:
        """The error's JSON object."""
        return {"analyzer": self.analyzer, "error": self.error}


def _usage_dict(u: TokenUsage) -> dict[str, int]:
    return {
        "input_tokens": u.input_tokens,
        "cache_read_tokens": u.cache_read_tokens,
        "cache_write_tokens": u.cache_write_tokens,
        "output_tokens": u.output_tokens,
        "reasoning_tokens": u.reasoning_tokens,
    }


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class OptimizationReport:
    """Everything the analysis says about one session (provisional while the session is ACTIVE)."""

    session_id: str
    agent: str
    task: str
    model: str
    status: str
    provisional: bool
    efficiency_score: float
    total_waste_tokens: int
    totals: TokenUsage
    cost_usd: float | None
    unpriced_reason: str | None
    waste_usd: float | None
    active_minutes: float
    wall_minutes: float
    event_count: int
    started_at: datetime
    ended_at: datetime | None
    generated_at: datetime
    issues: tuple[Finding, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()
    analyzer_errors: tuple[AnalyzerError, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    notes: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION
    #: ``priced``, ``free`` (configured free: $0 on purpose) or ``unpriced`` (no known price: no USD).
    pricing: str = "priced"
    #: Unavoidable costs (e.g. cache rewrites after a compaction or a long pause), in USD.
    unavoidable_cost_usd: float | None = None
    #: ``reported`` (provider counts), ``estimated`` (chars / 4 of stored thinking text) or ``not_measurable``.
    thinking_basis: str = "reported"
    #: False when the session billed no tokens: ``efficiency_score`` then means nothing (shown as "n/a").
    scored: bool = True
    #: Roll-up of the session's subagents (docs/report-schema.md); empty when it has none.
    subagents: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Alias of :attr:`issues`."""
        return self.issues

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON report (docs/report-schema.md); never contains NaN or infinity."""
        return {
            "schema_version": self.schema_version,
            "session_id": self.session_id,
            "agent": self.agent,
            "task": self.task,
            "model": self.model,
            "status": self.status,
            "provisional": self.provisional,
            "efficiency_score": _num(self.efficiency_score, 2) or 0.0,
            "total_waste_tokens": self.total_waste_tokens,
            "totals": _usage_dict(self.totals),
            "cost_usd": _num(self.cost_usd),
            "unpriced_reason": self.unpriced_reason,
            "waste_usd": _num(self.waste_usd),
            "active_minutes": _num(self.active_minutes, 2) or 0.0,
            "wall_minutes": _num(self.wall_minutes, 2) or 0.0,
            "event_count": self.event_count,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "generated_at": self.generated_at.isoformat(),
            "issues": [f.to_dict() for f in self.issues],
            "recommendations": [r.to_dict() for r in self.recommendations],
            "analyzer_errors": [e.to_dict() for e in self.analyzer_errors],
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "notes": list(self.notes),
            "pricing": self.pricing,
            "unavoidable_cost_usd": _num(self.unavoidable_cost_usd),
            "thinking_basis": self.thinking_basis,
            "scored": self.scored,
            "subagents": dict(self.subagents),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OptimizationReport:
        """Rebuild a report from :meth:`to_dict` output (e.g. a stored report)."""
        t = d.get("totals", {})
        started = _dt(d.get("started_at"))
        generated = _dt(d.get("generated_at"))
        return cls(
            session_id=str(d["session_id"]),
            agent=str(d.get("agent", "")),
            task=str(d.get("task", "")),
            model=str(d.get("model", "")),
            status=str(d.get("status", "")),
            provisional=bool(d.get("provisional", False)),
            efficiency_score=float(d.get("efficiency_score", 0.0)),
            total_waste_tokens=int(d.get("total_waste_tokens", 0)),
            totals=TokenUsage(
                input_tokens=int(t.get("input_tokens", 0)),
                output_tokens=int(t.get("output_tokens", 0)),
                cache_read_tokens=int(t.get("cache_read_tokens", 0)),
                cache_write_tokens=int(t.get("cache_write_tokens", 0)),
                reasoning_tokens=int(t.get("reasoning_tokens", 0)),
            ),
            cost_usd=d.get("cost_usd"),
            unpriced_reason=d.get("unpriced_reason"),
            waste_usd=d.get("waste_usd"),
            active_minutes=float(d.get("active_minutes", 0.0)),
            wall_minutes=float(d.get("wall_minutes", 0.0)),
            event_count=int(d.get("event_count", 0)),
            started_at=started if started else datetime.fromtimestamp(0).astimezone(),
            ended_at=_dt(d.get("ended_at")),
            generated_at=generated if generated else datetime.fromtimestamp(0).astimezone(),
            issues=tuple(Finding.from_dict(f) for f in d.get("issues", ())),
            recommendations=tuple(Recommendation.from_dict(r) for r in d.get("recommendations", ())),
            analyzer_errors=tuple(
                AnalyzerError(str(e.get("analyzer", "")), str(e.get("error", "")))
                for e in d.get("analyzer_errors", ())
            ),
            # null is "not measurable" (NaN when the report was made): kept, so a stored report reads back whole
            metrics={k: math.nan if v is None else float(v) for k, v in d.get("metrics", {}).items()},
            notes=tuple(str(n) for n in d.get("notes", ())),
            schema_version=int(d.get("schema_version", SCHEMA_VERSION)),
            pricing=str(d.get("pricing", "priced" if d.get("cost_usd") is not None else "unpriced")),
            unavoidable_cost_usd=d.get("unavoidable_cost_usd"),
            thinking_basis=str(d.get("thinking_basis", "reported")),
            scored=bool(d.get("scored", True)),
            subagents=dict(d.get("subagents") or {}),
        )
