"""cache_miss: a model call whose cache reads collapse after the first call, so the prompt cache is rewritten.

A call reading less than half (``cache_collapse_ratio``) of the previous call's context from cache paid to
write (or send uncached) a prefix it could have read at about a tenth of the price. The lost tokens are the
waste, priced net of the cache read they should have been. Causes: idle longer than the cache TTL, a model
switch, a compaction, or a changed prompt prefix. Sessions that never use caching are not flagged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType

from ._common import MAX_EVIDENCE, fmt_tokens, severity_for

__all__ = ["CacheMiss", "CacheMissAnalyzer", "find_cache_misses"]

_ADVICE = {
    "idle": (
        "Keep the prompt cache warm",
        "The cache expired while the session sat idle. Keep the session warm (a cheap request before the "
        "5-minute TTL runs out) or use the 1-hour cache TTL for sessions with long pauses.",
    ),
    "model_switch": (
        "Avoid switching models mid-session",
        "Each model has its own cache: a switch rewrites the whole prompt. Keep one model per session, or "
        "switch only at a natural break.",
    ),
    "compaction": (
        "Compact less often",
        "Each compaction rewrites the cached prompt; compact once when needed rather than repeatedly.",
    ),
    "prefix_changed": (
        "Keep the prompt prefix stable",
        "The cached prefix changed (system prompt, tool list or early messages); keep them stable so later "
        "calls can read them from cache.",
    ),
}


@dataclass(frozen=True, slots=True)
class CacheMiss:
    """One collapsed call: its index, the context it lost from cache, and the cause."""

    index: int
    lost_tokens: int
    previous_context: int
    cause: str
    gap_seconds: float


def find_cache_misses(ctx: AnalysisContext) -> list[CacheMiss]:
    """Every collapsed call of the session (memoised on the context; token_spike names causes with it)."""
    cached = ctx.memo.get("cache_misses")
    if cached is not None:
        return list(cached)
    cfg = ctx.config
    events = ctx.events
    calls = ctx.model_calls
    misses: list[CacheMiss] = []
    if any(events[i].cache_read_tokens or events[i].cache_write_tokens for i in calls):
        compaction_at = [0] * (len(events) + 1)
        for i, e in enumerate(events):
            compaction_at[i + 1] = compaction_at[i] + (e.event_type is EventType.COMPACTION)
        for prev_i, i in itertools.pairwise(calls):
            prev, cur = events[prev_i], events[i]
            previous = prev.tokens_input + prev.cache_read_tokens + prev.cache_write_tokens
            current = cur.tokens_input + cur.cache_read_tokens + cur.cache_write_tokens
            if (
                previous < cfg.cache_min_context_tokens
                or cur.cache_read_tokens >= cfg.cache_collapse_ratio * previous
            ):
                continue
            lost = min(
                min(previous, current) - cur.cache_read_tokens, cur.cache_write_tokens + cur.tokens_input
            )
            if lost <= 0:
                continue
            gap = (cur.timestamp - prev.timestamp).total_seconds()
            if ctx.model_of(cur) != ctx.model_of(prev):
                cause = "model_switch"
            elif compaction_at[i] > compaction_at[prev_i]:
                cause = "compaction"
            elif gap > cfg.cache_ttl_seconds:
                cause = "idle"
            else:
                cause = "prefix_changed"
            misses.append(CacheMiss(i, lost, previous, cause, gap))
    ctx.memo["cache_misses"] = tuple(misses)
    return misses


class CacheMissAnalyzer:
    """Finds prompt-cache rewrites after the first call and names their cause."""

    name = "cache_miss"
    order = 30

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per cause (idle, model switch, compaction, changed prefix)."""
        by_cause: dict[str, list[CacheMiss]] = {}
        for m in find_cache_misses(ctx):
            by_cause.setdefault(m.cause, []).append(m)
        drafts: list[Draft | Recommendation] = []
        for cause, misses in by_cause.items():
            claims: list[Claim] = []
            for m in misses:
                e = ctx.events[m.index]
                from_write = min(m.lost_tokens, e.cache_write_tokens)
                if from_write:
                    claims.append(Claim(e.id, "cache_write", from_write, net_of="cache_read"))
                if m.lost_tokens - from_write:
                    claims.append(Claim(e.id, "input", m.lost_tokens - from_write, net_of="cache_read"))
            lost = sum(m.lost_tokens for m in misses)
            label = {
                "idle": f"after idle gaps longer than the {ctx.config.cache_ttl_seconds / 60:g}-minute cache TTL",
                "model_switch": "after a model switch",
                "compaction": "after a compaction",
                "prefix_changed": "because the prompt prefix changed",
            }[cause]
            title, advice = _ADVICE[cause]
            drafts.append(
                Draft(
                    type=self.name,
                    severity=severity_for(lost),
                    description=(
                        f"The prompt cache was rewritten {len(misses)} time(s) {label}: "
                        f"{fmt_tokens(lost)} tokens written again instead of read from cache"
                    ),
                    evidence=tuple(ctx.events[m.index].id for m in misses[:MAX_EVIDENCE]),
                    claims=tuple(claims),
                    details={
                        "cause": cause,
                        "misses": len(misses),
                        "rewritten_tokens": lost,
                        "max_idle_minutes": round(max(m.gap_seconds for m in misses) / 60, 2),
                    },
                    recommendation=RecommendationDraft(title=title, detail=advice),
                )
            )
        return drafts
