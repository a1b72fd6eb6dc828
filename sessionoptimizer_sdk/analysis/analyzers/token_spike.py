"""token_spike: an event whose fresh tokens exceed 3x the session's running average (the spec's threshold).

Fresh tokens are uncached input + cache writes + output; cache reads are excluded (they grow smoothly with the
context, so totals would flag every long session). A spike is a symptom: its cause is named where visible
(prompt-cache rewrite, a large tool result, long output) and its waste, if any, is counted by the finding of
that cause, so the spike itself claims no tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sessionoptimizer_sdk.analysis.base import Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import TOOL_TYPES, AnalysisContext, get_str
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity
from sessionoptimizer_sdk.models import EventType

from ._common import MAX_EVIDENCE, fmt_tokens, short_name
from .cache_miss import find_cache_misses

__all__ = ["Spike", "TokenSpikeAnalyzer", "find_spikes"]


@dataclass(frozen=True, slots=True)
class Spike:
    """One spike: event index, fresh tokens, ratio to the running average before it, and its cause."""

    index: int
    fresh_tokens: int
    ratio: float
    cause: str


def find_spikes(ctx: AnalysisContext) -> list[Spike]:
    """Every spike of the session (memoised; the metrics' ``max_token_spike_ratio`` comes from here)."""
    cached = ctx.memo.get("spikes")
    if cached is not None:
        return list(cached)
    cfg = ctx.config
    misses = {m.index: m.cause for m in find_cache_misses(ctx)}
    spikes: list[Spike] = []
    total = count = 0
    tool_tokens = 0
    big_tool = ""
    for i, e in enumerate(ctx.events):
        if e.event_type in TOOL_TYPES:
            content = ctx.content[i]
            if content > tool_tokens:
                big_tool = (
                    get_str(e.data, "file_path") or get_str(e.data, "tool") or e.name or e.event_type.value
                )
            tool_tokens = max(tool_tokens, content)
        fresh = e.fresh_tokens
        if fresh <= 0:
            continue
        if (
            count >= cfg.spike_min_prior_calls
            and fresh >= cfg.spike_min_tokens
            and fresh > cfg.spike_factor * total / count
        ):
            if i in misses:
                cause = f"prompt-cache rewrite ({misses[i].replace('_', ' ')})"
            elif e.event_type is EventType.COMPACTION:
                cause = "compaction"
            elif tool_tokens * 2 >= fresh - e.tokens_output and tool_tokens:
                cause = f"large tool result ({short_name(big_tool)})"
            elif e.tokens_output * 2 >= fresh:
                cause = "long output"
            else:
                cause = "unknown"
            spikes.append(Spike(i, fresh, fresh * count / total, cause))
        if e.event_type not in TOOL_TYPES:
            tool_tokens, big_tool = 0, ""
        total += fresh
        count += 1
    ctx.memo["spikes"] = tuple(spikes)
    return spikes


class TokenSpikeAnalyzer:
    """Reports token spikes with their causes (no waste of its own: the cause's finding counts it)."""

    name = "token_spike"
    order = 70

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding listing every spike, largest first."""
        spikes = sorted(find_spikes(ctx), key=lambda s: -s.ratio)
        if not spikes:
            return []
        top = spikes[0]
        causes = sorted({s.cause for s in spikes})
        return [
            Draft(
                type=self.name,
                severity=Severity.LOW,
                description=(
                    f"{len(spikes)} event(s) used over {ctx.config.spike_factor:g}x the running average of fresh "
                    f"tokens; the largest was {top.ratio:.1f}x ({fmt_tokens(top.fresh_tokens)} tokens, "
                    f"cause: {top.cause})"
                ),
                evidence=tuple(ctx.events[s.index].id for s in spikes[:MAX_EVIDENCE]),
                details={
                    "spikes": [
                        {
                            "event_id": ctx.events[s.index].id,
                            "fresh_tokens": s.fresh_tokens,
                            "ratio": round(s.ratio, 2),
                            "cause": s.cause,
                        }
                        for s in spikes[:20]
                    ],
                    "max_ratio": round(top.ratio, 2),
                    "causes": causes,
                },
                recommendation=RecommendationDraft(
                    title="Look at the causes of token spikes",
                    detail="Spikes came from: "
                    + ", ".join(causes)
                    + ". The findings for those causes say what to do.",
                ),
            )
        ]
