"""cache_miss: a model call whose cache reads collapse after the first call, so the prompt cache is rewritten.

A call reading less than half (``cache_collapse_ratio``) of the previous call's context from cache paid to
write (or send uncached) a prefix it could have read at about a tenth of the price. Every miss is labelled
with its cause: ``ttl_expired`` (a gap longer than the cache TTL: 5 minutes, 1 hour, or the provider's
automatic expiry), ``compaction``, ``model_switch`` or ``prefix_changed`` (a gap under the TTL). Only
avoidable misses are waste (a changed prefix; a 5-minute TTL expiring after a gap a 1-hour TTL would have
bridged); the others are a cost, reported as such. Sessions that never use caching are not flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sessionoptimizer_sdk.analysis._caches import CacheMiss
from sessionoptimizer_sdk.analysis._caches import _is_openai as _is_openai
from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.facts import FactClaim
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens, severity_for

__all__ = ["CacheMiss", "CacheMissAnalyzer", "find_cache_misses"]

#: Anthropic's published price ratios to input: cache read 0.1x, 5-minute write 1.25x, 1-hour write 2x.
_READ, _WRITE_5M, _WRITE_1H = 0.1, 1.25, 2.0
_LABEL = {
    "model_switch": "after a model switch",
    "compaction": "after a compaction",
    "prefix_changed": "because the prompt prefix changed",
}


def _feed(ctx: AnalysisContext) -> Any:
    """The feed behind ``ctx`` (a context built from events gets one on first use)."""
    feed = ctx.memo.get("feed")
    if feed is None:
        from sessionoptimizer_sdk.analysis.feed import feed_all

        feed = feed_all(ctx.session, ctx.events, ctx.config, ())
        ctx.memo["feed"] = feed
    return feed


def find_cache_misses(ctx: AnalysisContext) -> list[CacheMiss]:
    """Every collapsed call of the session (kept by the feed; token_spike names causes with it)."""
    cached = ctx.memo.get("cache_misses")
    if cached is None:
        cached = ctx.memo["cache_misses"] = tuple(_feed(ctx).caches.misses())
    return list(cached)


def _advice(m: CacheMiss, ttl_minutes: float) -> RecommendationDraft | None:
    if not m.avoidable:
        return None
    if m.cause == "ttl_expired":
        return RecommendationDraft(
            "Use the 1-hour prompt-cache TTL",
            f"The {ttl_minutes:g}-minute cache expired during pauses shorter than an hour. Requesting the "
            "1-hour TTL (cache_control ttl '1h'; writes cost 2x input instead of 1.25x) keeps the prefix "
            "cached across such pauses.",
        )
    if m.changed == "tool list loaded mid-session":
        return RecommendationDraft(
            "Load tools before the session starts",
            "The tool list changed mid-session (a tool search or an MCP server's tools were loaded), which "
            "invalidates the cached prefix; configure the tools up front.",
        )
    if m.changed:
        return RecommendationDraft(
            "Keep the prompt prefix stable",
            f"The cached prefix changed ({m.changed}); keep early context stable so later calls read it.",
        )
    return RecommendationDraft(
        "Keep the prompt prefix stable",
        "The cached prefix changed within the cache TTL (system prompt, tool list or early messages); keep "
        "them stable so later calls can read them from cache.",
    )


class CacheMissAnalyzer(FedAnalyzer):
    """Finds prompt-cache rewrites after the first call, names their cause and separates waste from cost."""

    name = "cache_miss"
    order = 30

    def start(self) -> None:
        """No state of its own: the feed finds the misses (token_spike and the metrics share them)."""
        return None

    def feed(self, state: None, delta: Delta) -> None:
        """Nothing to do: the feed's cache tracker saw the batch."""

    @staticmethod
    def _one_hour_net(ctx: AnalysisContext, lost: int) -> tuple[float, dict[str, int]]:
        """Share of ``lost`` a 1-hour TTL would really have saved: rewrites avoided minus dearer other writes."""
        writes = _feed(ctx).caches.call_writes
        other = max(writes - lost, 0)
        saved = lost * (_WRITE_5M - _READ) - other * (_WRITE_1H - _WRITE_5M)  # in input-token units
        scale = max(saved, 0.0) / (lost * (_WRITE_5M - _READ)) if lost else 0.0
        return scale, {"one_hour_premium_tokens": other, "net_avoidable_tokens": round(lost * scale)}

    def drafts(self, state: None, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per cause (and TTL / what changed); unavoidable causes are costs, not waste."""
        groups: dict[tuple[str, str | None, bool, str | None], list[CacheMiss]] = {}
        for m in find_cache_misses(ctx):
            groups.setdefault((m.cause, m.ttl, m.avoidable, m.changed), []).append(m)
        ttl_minutes = ctx.config.cache_ttl_seconds / 60
        drafts: list[Draft | Recommendation] = []
        for (cause, ttl, avoidable, changed), misses in groups.items():
            lost = sum(m.lost_tokens for m in misses)
            scale, extra = 1.0, dict[str, int]()
            if cause == "ttl_expired" and avoidable:
                scale, extra = self._one_hour_net(ctx, lost)
                avoidable = scale > 0
            claims: list[Claim] = []
            facts = _feed(ctx).caches.facts
            for m in misses:
                f = facts[m.index]
                keep = round(m.lost_tokens * scale) if avoidable else m.lost_tokens
                from_write = min(keep, f.cache_write)
                if from_write:
                    claims.append(FactClaim(f.id, "cache_write", from_write, "cache_read", f))
                if keep - from_write:
                    claims.append(FactClaim(f.id, "input", keep - from_write, "cache_read", f))
            if cause == "ttl_expired":
                what = {"5m": f"{ttl_minutes:g}-minute", "1h": "1-hour", "automatic": "provider's automatic"}
                label = f"after idle gaps longer than the {what[str(ttl)]} cache TTL"
            else:
                label = _LABEL[cause] + (f" ({changed})" if changed else "")
            kind = "" if avoidable else " (a cost, not waste)"
            if extra and not avoidable:
                kind = " (a cost, not waste: the 1-hour TTL's dearer writes would have cost more)"
            elif extra:
                kind = f"; net of the 1-hour TTL's dearer writes, {fmt_tokens(round(lost * scale))} are avoidable"
            drafts.append(
                Draft(
                    type=self.name,
                    severity=severity_for(round(lost * scale)) if avoidable else severity_for(0),
                    description=(
                        f"The prompt cache was rewritten {len(misses)} time(s) {label}: "
                        f"{fmt_tokens(lost)} tokens written again instead of read from cache{kind}"
                    ),
                    evidence=tuple(facts[m.index].id for m in misses[:MAX_EVIDENCE]),
                    claims=tuple(claims),
                    details={
                        "cause": cause,
                        "ttl": ttl,
                        "avoidable": avoidable,
                        "changed": changed,
                        "misses": len(misses),
                        "rewritten_tokens": lost,
                        "max_idle_minutes": round(max(m.gap_seconds for m in misses) / 60, 2),
                        **extra,
                    },
                    recommendation=_advice(misses[0], ttl_minutes) if avoidable else None,
                    avoidable=avoidable,
                )
            )
        return drafts
