"""long_session: active time over 60 minutes (the spec's threshold); wall time is shown beside it.

Wall-clock time misleads (one real session spans 18 hours with 10 minutes of activity), so gaps longer than
``idle_gap_minutes`` between events are excluded from active time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from sessionoptimizer_sdk.analysis.base import Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

__all__ = ["LongSessionAnalyzer", "session_minutes"]


def session_minutes(ctx: AnalysisContext) -> tuple[float, float]:
    """(active minutes, wall minutes); an ACTIVE session runs to ``ctx.now``."""
    cached = ctx.memo.get("minutes")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    s = ctx.session
    points = [s.started_at, *(e.timestamp for e in ctx.events)]
    if s.ended_at is not None:
        points.append(s.ended_at)
    elif s.is_active:
        points.append(ctx.now)
    points.sort()
    idle = ctx.config.idle_gap_minutes * 60
    active = 0.0
    for a, b in itertools.pairwise(points):
        gap = (b - a).total_seconds()
        if 0 < gap <= idle:
            active += gap
    wall = (points[-1] - points[0]).total_seconds()
    result = (active / 60, max(wall, 0.0) / 60)
    ctx.memo["minutes"] = result
    return result


class LongSessionAnalyzer:
    """Flags sessions whose active time exceeds the threshold."""

    name = "long_session"
    order = 80

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """A finding when active minutes exceed the threshold."""
        active, wall = session_minutes(ctx)
        limit = ctx.config.long_session_minutes
        if active <= limit:
            return []
        return [
            Draft(
                type=self.name,
                severity=Severity.MEDIUM,
                description=(
                    f"The session was active {active:.0f} minutes (threshold {limit:g}; wall time {wall:.0f} minutes, "
                    f"gaps over {ctx.config.idle_gap_minutes:g} minutes excluded)"
                ),
                evidence=(ctx.events[0].id, ctx.events[-1].id) if ctx.events else (),
                details={
                    "active_minutes": round(active, 2),
                    "wall_minutes": round(wall, 2),
                    "threshold": limit,
                },
                recommendation=RecommendationDraft(
                    title="Split long sessions",
                    detail=(
                        "Long sessions carry a growing context into every call: split the task into sessions of "
                        "under an hour, or compact/summarise between sub-tasks."
                    ),
                ),
            )
        ]
