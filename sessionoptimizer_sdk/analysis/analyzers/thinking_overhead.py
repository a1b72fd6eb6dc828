"""thinking_overhead: thinking/reasoning tokens as a share of output over a threshold (default 60%).

Real Codex and Aider sessions spend 29-61% of output on thinking; above the threshold the excess (thinking
beyond the threshold's share of output) is counted as waste, spread over the thinking events. Claude Code
reports thinking inside output tokens: there the thinking is estimated from the stored thinking text
(characters / 4) and the excess is claimed from the output of the response that carried it; when only
signatures are stored the share is not measurable (never reported as 0%).
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_str
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType

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
        estimated = ctx.thinking_basis == "estimated"
        for e in ctx.events:
            if estimated:  # the thinking sits in the output of the response with the same id
                rid = get_str(e.data, "response_id")
                is_response = e.event_type is EventType.AI_RESPONSE and rid is not None
                r = min(ctx.thinking_by_response.get(str(rid), 0), e.tokens_output) if is_response else 0
            else:
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
                    f"Thinking was {'about ' if estimated else ''}{share:.0%} of output "
                    f"({fmt_tokens(thinking)} of {fmt_tokens(output)} tokens"
                    f"{', estimated from the thinking text at 4 characters per token' if estimated else ''}), over "
                    f"the {cfg.thinking_share_threshold:.0%} threshold by {fmt_tokens(excess)} tokens"
                ),
                evidence=tuple(evidence[:MAX_EVIDENCE]),
                claims=tuple(claims),
                details={
                    "thinking_tokens": thinking,
                    "output_tokens": output,
                    "share": round(share, 4),
                    "basis": ctx.thinking_basis,
                },
                recommendation=RecommendationDraft(
                    title="Lower the thinking budget",
                    detail=(
                        "Use a smaller thinking/reasoning budget (or effort level) for routine steps and keep deep "
                        "thinking for planning and hard bugs."
                    ),
                ),
            )
        ]
