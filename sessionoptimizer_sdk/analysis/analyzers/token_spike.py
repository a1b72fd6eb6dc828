"""token_spike: an event whose fresh tokens exceed 3x the session's running average (the spec's threshold).

Fresh tokens are uncached input + cache writes + output; cache reads are excluded (they grow smoothly with the
context, so totals would flag every long session). A spike is a symptom: its cause is named where visible
(prompt-cache rewrite, a large tool result, long output) and its waste, if any, is counted by the finding of
that cause, so the spike itself claims no tokens.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionoptimizer_sdk.analysis._caches import Spike
from sessionoptimizer_sdk.analysis.base import Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens
from .cache_miss import _feed

__all__ = ["Spike", "TokenSpikeAnalyzer", "find_spikes"]


def find_spikes(ctx: AnalysisContext) -> list[Spike]:
    """Every spike of the session (kept by the feed; the metrics' ``max_token_spike_ratio`` comes from here)."""
    cached = ctx.memo.get("spikes")
    if cached is None:
        cached = ctx.memo["spikes"] = tuple(_feed(ctx).caches.spikes())
    return list(cached)


class TokenSpikeAnalyzer(FedAnalyzer):
    """Reports token spikes with their causes (no waste of its own: the cause's finding counts it)."""

    name = "token_spike"
    order = 70

    def start(self) -> None:
        """No state of its own: the feed finds the spikes (the metrics share them)."""
        return None

    def feed(self, state: None, delta: Delta) -> None:
        """Nothing to do: the feed's tracker saw the batch."""

    def drafts(self, state: None, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding listing every spike, largest first."""
        spikes = sorted(find_spikes(ctx), key=lambda s: -s.ratio)
        if not spikes:
            return []
        ids = {i: eid for i, eid, *_ in _feed(ctx).caches.spiked}
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
                evidence=tuple(ids[s.index] for s in spikes[:MAX_EVIDENCE]),
                details={
                    "spikes": [
                        {
                            "event_id": ids[s.index],
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
                    detail=_advice(causes, [ids[s.index] for s in spikes if s.cause == "unknown"]),
                ),
            )
        ]


def _advice(causes: list[str], unexplained: list[str]) -> str:
    """What to do per cause; a spike no logged event explains names where to look instead of nothing."""
    known = [c for c in causes if c != "unknown"]
    parts = (
        [f"Spikes came from: {', '.join(known)}. The findings for those causes say what to do."]
        if known
        else []
    )
    if unexplained:
        first = ", ".join(unexplained[:3]) + (" ..." if len(unexplained) > 3 else "")
        parts.append(
            f"{len(unexplained)} spike(s) have no cause in the logged events (fresh input that was not a logged "
            f"tool result or output, such as a pasted file or a long user message): look at what entered the "
            f"prompt at {first}."
        )
    return " ".join(parts)
