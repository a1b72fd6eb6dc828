"""thinking_overhead: thinking/reasoning tokens as a share of output over a threshold (default 60%).

Real Codex and Aider sessions spend 29-61% of output on thinking; above the threshold the excess (thinking
beyond the threshold's share of output) is counted as waste, spread over the thinking events. Claude Code
reports thinking inside output tokens: there the thinking is estimated from the stored thinking text
(characters / 4) and the excess is claimed from the output of the response that carried it; when only
signatures are stored the share is not measurable (never reported as 0%).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_str
from sessionoptimizer_sdk.analysis.facts import EventFacts, fact_claim, facts_of
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens, severity_for

__all__ = ["ThinkingOverheadAnalyzer", "thinking_share"]


def thinking_share(ctx: AnalysisContext) -> tuple[int, int]:
    """(thinking tokens, output tokens) of the session."""
    return ctx.thinking_tokens, ctx.totals.output_tokens


@dataclass(slots=True)
class ThinkingState:
    """Events that may carry thinking: (facts, reported thinking tokens, response id of an AI response).

    The facts are kept as an exact ``tuple`` (``EventFacts._make`` rebuilds them): a tuple of plain values is
    untracked by the cyclic GC, a named tuple never is, and a live state keeps one per model call.
    """

    carriers: list[tuple[tuple[object, ...], int, str | None]] = field(default_factory=list)


class ThinkingOverheadAnalyzer(FedAnalyzer):
    """Flags sessions whose output is mostly thinking; claims the excess over the threshold."""

    name = "thinking_overhead"
    order = 50

    def start(self) -> ThinkingState:
        """No thinking seen yet."""
        return ThinkingState()

    def feed(self, state: ThinkingState, delta: Delta) -> None:
        """Keep the events with reported thinking, and the AI responses that may carry estimated thinking."""
        thinking_t, response_t = EventType.THINKING, EventType.AI_RESPONSE
        carriers = state.carriers
        for e, f in zip(delta.events, delta.facts or itertools.repeat(None), strict=False):
            t = e.event_type
            rt = e.reasoning_tokens
            if not (rt or t is thinking_t or t is response_t):
                continue
            out = e.tokens_output
            r = (rt if rt > out else out) if t is thinking_t else (rt if rt < out else out)
            rid = get_str(e.data, "response_id") if t is response_t and "response_id" in e.data else None
            if r > 0 or rid is not None:
                carriers.append((tuple(f or facts_of(e)), r, rid))

    def drafts(self, state: ThinkingState, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
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
        for raw, reported, rid in state.carriers:
            f = EventFacts._make(raw)
            if estimated:  # the thinking sits in the output of the response with the same id
                r = min(ctx.thinking_by_response.get(rid, 0), f.output) if rid is not None else 0
            else:
                r = reported
            if r <= 0 or remaining <= 0:
                continue
            take = min(remaining, round(r * excess / thinking), f.output)
            if take > 0:
                claims.append(fact_claim(f, "output", take))
                evidence.append(f.id)
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
