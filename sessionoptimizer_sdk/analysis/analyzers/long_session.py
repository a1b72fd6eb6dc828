"""long_session: active time over 60 minutes (the spec's threshold); wall time is shown beside it.

Wall-clock time misleads (one real session spans 18 hours with 10 minutes of activity), so gaps longer than
``idle_gap_minutes`` between events are excluded from active time.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionoptimizer_sdk.analysis.base import Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

from ._common import FedAnalyzer
from .cache_miss import _feed

__all__ = ["LongSessionAnalyzer", "session_minutes"]


def session_minutes(ctx: AnalysisContext) -> tuple[float, float]:
    """(active minutes, wall minutes); an ACTIVE session runs to ``ctx.now`` (kept by the feed)."""
    cached = ctx.memo.get("minutes")
    if cached is None:
        cached = ctx.memo["minutes"] = _feed(ctx).minutes(ctx.session, ctx.now)
    return cached  # type: ignore[no-any-return]


class LongSessionAnalyzer(FedAnalyzer):
    """Flags sessions whose active time exceeds the threshold."""

    name = "long_session"
    order = 80

    def start(self) -> None:
        """No state of its own: the feed keeps active time (the report shows it too)."""
        return None

    def feed(self, state: None, delta: Delta) -> None:
        """Nothing to do: the feed timed the batch."""

    def drafts(self, state: None, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """A finding when active minutes exceed the threshold."""
        active, wall = session_minutes(ctx)
        limit = ctx.config.long_session_minutes
        if active <= limit:
            return []
        feed = _feed(ctx)
        return [
            Draft(
                type=self.name,
                severity=Severity.MEDIUM,
                description=(
                    f"The session was active {_over(active, limit)} minutes (threshold {limit:g}; "
                    f"wall time {wall:.0f} minutes, gaps over {ctx.config.idle_gap_minutes:g} minutes excluded)"
                ),
                evidence=(feed.first_id, feed.last_id) if feed.first_id and feed.last_id else (),
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


def _over(active: float, limit: float) -> str:
    """Active minutes with the fewest decimals (0 to 2) that still read as over the threshold (60.4, not "60")."""
    for digits in (0, 1):
        text = f"{active:.{digits}f}"
        if float(text) > limit:
            return text
    return f"{active:.2f}"
