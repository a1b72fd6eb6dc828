"""thinking_overhead: thinking/reasoning tokens as a share of output over a threshold (default 60%).

Real Codex and Aider sessions spend 29-61% of output on thinking; above the threshold the excess (thinking
beyond the threshold's share of output) is counted as waste, spread over the thinking events.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import Recommendation

from ._common import MAX_EVIDENCE, fmt_tokens, severity_for

__all__ = ["ThinkingOverheadAnalyzer", "thinking_share"]


def thinking_share(ctx: AnalysisContext) -> tuple[int, int]:
    """(thinking tokens, output tokens) of the session."""
    return ctx.thinking_tokens, ctx.totals.output_tokens


class ThinkingOverheadAnalyzer:
    """Flags sessions whose output is mostly thinking; claims the excess over the threshold."""

    name = "thinking_overhead"
    order = 50

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """A finding when thinking exceeds the configured share of output."""
        cfg = ctx.config
        thinking, output = thinking_share(ctx)
        if output < cfg.thinking_min_output_tokens or thinking <= cfg.thinking_share_threshold * output:
            return []
        excess = int(thinking - cfg.thinking_share_threshold * output)
        claims: list[Claim] = []
        evidence: list[str] = []
        remaining = excess
        for e in ctx.events:
            r = ctx.reasoning_of(e)
            if r <= 0 or remaining <= 0:
                continue
            take = min(remaining, round(r * excess / thinking), e.tokens_output)
            if take > 0:
                claims.append(Claim(e.id, "output", take))
                evidence.append(e.id)
                remaining -= take
        share = thinking / output
        return [
            Draft(
                type=self.name,
                severity=severity_for(excess),
                description=(
                    f"Thinking was {share:.0%} of output ({fmt_tokens(thinking)} of {fmt_tokens(output)} tokens), over "
                    f"the {cfg.thinking_share_threshold:.0%} threshold by {fmt_tokens(excess)} tokens"
                ),
                evidence=tuple(evidence[:MAX_EVIDENCE]),
                claims=tuple(claims),
                details={"thinking_tokens": thinking, "output_tokens": output, "share": round(share, 4)},
                recommendation=RecommendationDraft(
                    title="Lower the thinking budget",
                    detail=(
                        "Use a smaller thinking/reasoning budget (or effort level) for routine steps and keep deep "
                        "thinking for planning and hard bugs."
                    ),
                ),
            )
        ]
