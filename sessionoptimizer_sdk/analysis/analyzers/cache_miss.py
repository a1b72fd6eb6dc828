"""cache_miss: a model call whose cache reads collapse after the first call, so the prompt cache is rewritten.

A call reading less than half (``cache_collapse_ratio``) of the previous call's context from cache paid to
write (or send uncached) a prefix it could have read at about a tenth of the price. Every miss is labelled
with its cause: ``ttl_expired`` (a gap longer than the cache TTL: 5 minutes, 1 hour, or the provider's
automatic expiry), ``compaction``, ``model_switch`` or ``prefix_changed`` (a gap under the TTL). Only
avoidable misses are waste (a changed prefix; a 5-minute TTL expiring after a gap a 1-hour TTL would have
bridged); the others are a cost, reported as such. Sessions that never use caching are not flagged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_int, get_str
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType

from ._common import MAX_EVIDENCE, fmt_tokens, severity_for

__all__ = ["CacheMiss", "CacheMissAnalyzer", "find_cache_misses"]

_HOUR = 3600.0
#: Anthropic's published price ratios to input: cache read 0.1x, 5-minute write 1.25x, 1-hour write 2x.
_READ, _WRITE_5M, _WRITE_1H = 0.1, 1.25, 2.0
_LABEL = {
    "model_switch": "after a model switch",
    "compaction": "after a compaction",
    "prefix_changed": "because the prompt prefix changed",
}


@dataclass(frozen=True, slots=True)
class CacheMiss:
    """One collapsed call: its index, the context it lost from cache, the cause and whether it was avoidable."""

    index: int
    lost_tokens: int
    previous_context: int
    cause: str
    gap_seconds: float
    #: ``5m``, ``1h`` or ``automatic`` (OpenAI: no TTL to choose) for ``ttl_expired``; else None.
    ttl: str | None = None
    avoidable: bool = True
    #: What changed before a ``prefix_changed`` miss, when the transcript shows it.
    changed: str | None = None


def _is_openai(provider: str | None, model: str) -> bool:
    return provider == "openai" or model.startswith(("gpt", "o1", "o3", "o4", "codex"))


def _what_changed(ctx: AnalysisContext, start: int, end: int, seen_tools: set[str]) -> str | None:
    """What the transcript shows changed the prefix between two calls (tool list, system reminder)."""
    for e in ctx.events[start + 1 : end]:
        tool = get_str(e.data, "tool") or e.name or ""
        if e.event_type is EventType.TOOL_CALL and (
            tool == "ToolSearch" or (tool.startswith("mcp__") and tool not in seen_tools)
        ):
            return "tool list loaded mid-session"
        if e.data.get("system_reminder"):
            return "a system reminder was inserted"
    return None


def find_cache_misses(ctx: AnalysisContext) -> list[CacheMiss]:
    """Every collapsed call of the session (memoised on the context; token_spike names causes with it)."""
    cached = ctx.memo.get("cache_misses")
    if cached is not None:
        return list(cached)
    cfg = ctx.config
    events = ctx.events
    calls = [i for i in ctx.model_calls if not events[i].data.get("sidechain")]
    misses: list[CacheMiss] = []
    if any(events[i].cache_read_tokens or events[i].cache_write_tokens for i in calls):
        compaction_at = [0] * (len(events) + 1)
        seen: set[str] = set()
        for i, e in enumerate(events):
            compaction_at[i + 1] = compaction_at[i] + (e.event_type is EventType.COMPACTION)
        on_1h = False
        for prev_i, i in itertools.pairwise(calls):
            prev, cur = events[prev_i], events[i]
            on_1h = on_1h or bool(get_int(prev.data, "cache_write_1h_tokens"))
            previous = prev.tokens_input + prev.cache_read_tokens + prev.cache_write_tokens
            current = cur.tokens_input + cur.cache_read_tokens + cur.cache_write_tokens
            if (
                previous < cfg.cache_min_context_tokens
                or cur.cache_read_tokens >= cfg.cache_collapse_ratio * previous
            ):
                _note_tools(ctx, prev_i, i, seen)
                continue
            lost = min(
                min(previous, current) - cur.cache_read_tokens, cur.cache_write_tokens + cur.tokens_input
            )
            gap = (cur.timestamp - prev.timestamp).total_seconds()
            miss = _classify(ctx, prev_i, i, lost, previous, gap, on_1h, compaction_at, seen)
            _note_tools(ctx, prev_i, i, seen)
            if lost > 0:
                misses.append(miss)
    ctx.memo["cache_misses"] = tuple(misses)
    return misses


def _note_tools(ctx: AnalysisContext, start: int, end: int, seen: set[str]) -> None:
    for e in ctx.events[start:end]:
        if e.event_type is EventType.TOOL_CALL:
            seen.add(get_str(e.data, "tool") or e.name or "")


def _classify(
    ctx: AnalysisContext,
    prev_i: int,
    i: int,
    lost: int,
    previous: int,
    gap: float,
    on_1h: bool,
    compaction_at: list[int],
    seen: set[str],
) -> CacheMiss:
    """Label one miss with its cause and whether a different choice would have avoided it."""
    prev, cur = ctx.events[prev_i], ctx.events[i]
    model = ctx.model_of(cur)
    if model != ctx.model_of(prev):
        return CacheMiss(i, lost, previous, "model_switch", gap, avoidable=False)
    if compaction_at[i] > compaction_at[prev_i]:
        return CacheMiss(i, lost, previous, "compaction", gap, avoidable=False)
    if _is_openai(get_str(cur.data, "provider"), model.lower()):
        ttl, seconds = "automatic", ctx.config.cache_ttl_seconds
    elif on_1h:
        ttl, seconds = "1h", _HOUR
    else:
        ttl, seconds = "5m", ctx.config.cache_ttl_seconds
    if gap > seconds:
        avoidable = ttl == "5m" and gap <= _HOUR  # a 1-hour TTL would have bridged the gap
        return CacheMiss(i, lost, previous, "ttl_expired", gap, ttl, avoidable)
    changed = _what_changed(ctx, prev_i, i, seen)
    return CacheMiss(i, lost, previous, "prefix_changed", gap, changed=changed)


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


class CacheMissAnalyzer:
    """Finds prompt-cache rewrites after the first call, names their cause and separates waste from cost."""

    name = "cache_miss"
    order = 30

    @staticmethod
    def _one_hour_net(ctx: AnalysisContext, lost: int) -> tuple[float, dict[str, int]]:
        """Share of ``lost`` a 1-hour TTL would really have saved: rewrites avoided minus dearer other writes."""
        writes = sum(
            ctx.events[i].cache_write_tokens
            for i in ctx.model_calls
            if not ctx.events[i].data.get("sidechain")
        )
        other = max(writes - lost, 0)
        saved = lost * (_WRITE_5M - _READ) - other * (_WRITE_1H - _WRITE_5M)  # in input-token units
        scale = max(saved, 0.0) / (lost * (_WRITE_5M - _READ)) if lost else 0.0
        return scale, {"one_hour_premium_tokens": other, "net_avoidable_tokens": round(lost * scale)}

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
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
            for m in misses:
                e = ctx.events[m.index]
                keep = round(m.lost_tokens * scale) if avoidable else m.lost_tokens
                from_write = min(keep, e.cache_write_tokens)
                if from_write:
                    claims.append(Claim(e.id, "cache_write", from_write, net_of="cache_read"))
                if keep - from_write:
                    claims.append(Claim(e.id, "input", keep - from_write, net_of="cache_read"))
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
                    severity=severity_for(lost) if avoidable else severity_for(0),
                    description=(
                        f"The prompt cache was rewritten {len(misses)} time(s) {label}: "
                        f"{fmt_tokens(lost)} tokens written again instead of read from cache{kind}"
                    ),
                    evidence=tuple(ctx.events[m.index].id for m in misses[:MAX_EVIDENCE]),
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
