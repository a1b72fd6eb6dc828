"""high_waste: the session's total waste over 5,000 tokens (the spec's threshold), as a session-level flag.

It runs after every other detector and sums their settled waste; it claims nothing itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sessionoptimizer_sdk.analysis.base import Draft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens

__all__ = ["HighWasteAnalyzer"]


class HighWasteAnalyzer(FedAnalyzer):
    """Flags a session whose findings wasted more than the threshold in total."""

    name = "high_waste"
    order = 1000

    def start(self) -> None:
        """No state: it reads the findings settled before it."""
        return None

    def feed(self, state: None, delta: Delta) -> None:
        """Nothing to do."""

    def drafts(self, state: None, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """A finding naming the biggest contributors when total waste exceeds the threshold."""
        total = sum(f.waste_tokens for f in ctx.findings)
        limit = ctx.config.high_waste_tokens
        if total <= limit:
            return []
        by_type: Counter[str] = Counter()
        for f in ctx.findings:
            by_type[f.type] += f.waste_tokens
        ranked = sorted(ctx.findings, key=lambda f: -f.waste_tokens)
        evidence: dict[str, None] = {}  # the first MAX_EVIDENCE distinct ids, biggest findings first
        for f in ranked:
            evidence.update(dict.fromkeys(f.evidence))
            if len(evidence) >= MAX_EVIDENCE:
                break
        top = ", ".join(f"{t} {fmt_tokens(n)}" for t, n in by_type.most_common(3) if n)
        return [
            Draft(
                type=self.name,
                severity=Severity.MEDIUM,
                description=f"{fmt_tokens(total)} tokens wasted in this session (threshold {fmt_tokens(limit)}): {top}",
                evidence=tuple(evidence)[:MAX_EVIDENCE],
                details={"total_waste_tokens": total, "threshold": limit, "by_type": dict(by_type)},
            )
        ]
