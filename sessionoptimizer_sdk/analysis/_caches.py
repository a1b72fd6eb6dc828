"""Prompt-cache misses and token spikes, found event by event (shared by cache_miss, token_spike and metrics).

A call reading less than ``cache_collapse_ratio`` of the previous call's context from cache is a miss,
labelled with its cause; an event whose fresh tokens exceed ``spike_factor`` x the running average is a spike.
Both are decided when the event arrives, from compact running figures (the previous call, tools seen so far).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from sessionoptimizer_sdk.models import EventType, SessionEvent

from .config import AnalysisConfig
from .context import TOOL_TYPES, get_int, get_str
from .facts import EventFacts, facts_of

__all__ = ["CacheMiss", "CacheTracker", "Spike"]

_HOUR = 3600.0


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


@dataclass(frozen=True, slots=True)
class Spike:
    """One spike: event index, fresh tokens, ratio to the running average before it, and its cause."""

    index: int
    fresh_tokens: int
    ratio: float
    cause: str


def _is_openai(provider: str | None, model: str) -> bool:
    return provider == "openai" or model.startswith(("gpt", "o1", "o3", "o4", "codex"))


class CacheTracker:
    """Running state of the cache-miss and spike detection over the events fed so far."""

    def __init__(self, config: AnalysisConfig, session_model: str) -> None:
        self.config = config
        self.session_model = session_model
        self.prev: SessionEvent | None = None
        self.on_1h = False
        self.any_cache = False
        #: Cache-write tokens of all main-chain model calls (what a 1-hour TTL would make dearer).
        self.call_writes = 0
        self.compaction_since = False
        self.seen: set[str] = set()
        self.pending: set[str] = set()
        self.changed: str | None = None
        self.found: list[CacheMiss] = []
        #: Facts of each missed call, by its index.
        self.facts: dict[int, EventFacts] = {}
        self._miss_at: tuple[int, str] | None = None
        self.total = self.count = self.tool_tokens = 0
        self.big_tool = ""
        #: (index, event id, fresh tokens, ratio, miss cause or None, cause without a miss).
        self.spiked: list[tuple[int, str, int, float, str | None, str]] = []

    def _model_of(self, e: SessionEvent) -> str:
        return get_str(e.data, "model") or self.session_model

    def add(self, i: int, e: SessionEvent, is_call: bool, content: int, facts: EventFacts | None) -> None:
        """Feed the event at position ``i`` (``is_call``: it billed tokens as a model call, with ``facts``)."""
        t = e.event_type
        if is_call and not e.data.get("sidechain"):
            if self.prev is not None:
                self._pair(i, e, facts)
            self.prev = e
            if self.pending:
                self.seen |= self.pending
                self.pending = set()
            self.changed = None
            self.compaction_since = False
            self.any_cache = self.any_cache or bool(e.cache_read_tokens or e.cache_write_tokens)
            self.call_writes += e.cache_write_tokens
        else:
            if t is EventType.COMPACTION:
                self.compaction_since = True
            if self.prev is not None and (t is EventType.TOOL_CALL or self.changed is None):
                self._between(e)
        if content > self.tool_tokens and t in TOOL_TYPES:  # the largest tool result since the last call
            self.big_tool = get_str(e.data, "file_path") or get_str(e.data, "tool") or e.name or t.value
            self.tool_tokens = content
        fresh = e.tokens_input + e.cache_write_tokens + e.tokens_output
        if fresh > 0:
            self._spike(i, e, fresh)

    def _between(self, e: SessionEvent) -> None:
        if e.event_type is EventType.TOOL_CALL:
            tool = get_str(e.data, "tool") or e.name or ""
            if self.changed is None and (
                tool == "ToolSearch" or (tool.startswith("mcp__") and tool not in self.seen)
            ):
                self.changed = "tool list loaded mid-session"
            self.pending.add(tool)
        if self.changed is None and e.data.get("system_reminder"):
            self.changed = "a system reminder was inserted"

    def _pair(self, i: int, cur: SessionEvent, facts: EventFacts | None) -> None:
        cfg, prev = self.config, self.prev
        assert prev is not None
        self.on_1h = self.on_1h or bool(get_int(prev.data, "cache_write_1h_tokens"))
        previous = prev.tokens_input + prev.cache_read_tokens + prev.cache_write_tokens
        current = cur.tokens_input + cur.cache_read_tokens + cur.cache_write_tokens
        if (
            previous < cfg.cache_min_context_tokens
            or cur.cache_read_tokens >= cfg.cache_collapse_ratio * previous
        ):
            return
        lost = min(min(previous, current) - cur.cache_read_tokens, cur.cache_write_tokens + cur.tokens_input)
        if lost <= 0:
            return
        gap = (cur.timestamp - prev.timestamp).total_seconds()
        miss = self._classify(i, cur, lost, previous, gap)
        self.found.append(miss)
        self.facts[i] = facts or facts_of(cur)
        self._miss_at = (i, miss.cause)

    def _classify(self, i: int, cur: SessionEvent, lost: int, previous: int, gap: float) -> CacheMiss:
        assert self.prev is not None
        model = self._model_of(cur)
        if model != self._model_of(self.prev):
            return CacheMiss(i, lost, previous, "model_switch", gap, avoidable=False)
        if self.compaction_since:
            return CacheMiss(i, lost, previous, "compaction", gap, avoidable=False)
        if _is_openai(get_str(cur.data, "provider"), model.lower()):
            ttl, seconds = "automatic", self.config.cache_ttl_seconds
        elif self.on_1h:
            ttl, seconds = "1h", _HOUR
        else:
            ttl, seconds = "5m", self.config.cache_ttl_seconds
        if gap > seconds:
            avoidable = ttl == "5m" and gap <= _HOUR  # a 1-hour TTL would have bridged the gap
            return CacheMiss(i, lost, previous, "ttl_expired", gap, ttl, avoidable)
        return CacheMiss(i, lost, previous, "prefix_changed", gap, changed=self.changed)

    def _spike(self, i: int, e: SessionEvent, fresh: int) -> None:
        t = e.event_type
        cfg, total, count = self.config, self.total, self.count
        if (
            count >= cfg.spike_min_prior_calls
            and fresh >= cfg.spike_min_tokens
            and fresh > cfg.spike_factor * total / count
        ):
            miss = self._miss_at[1] if self._miss_at is not None and self._miss_at[0] == i else None
            if t is EventType.COMPACTION:
                cause = "compaction"
            elif self.tool_tokens * 2 >= fresh - e.tokens_output and self.tool_tokens:
                cause = f"large tool result ({posixpath.basename(self.big_tool) or self.big_tool})"
            elif e.tokens_output * 2 >= fresh:
                cause = "long output"
            else:
                cause = "unknown"
            self.spiked.append((i, e.id, fresh, fresh * count / total, miss, cause))
        if t not in TOOL_TYPES:
            self.tool_tokens, self.big_tool = 0, ""
        self.total = total + fresh
        self.count = count + 1

    def misses(self) -> list[CacheMiss]:
        """Every collapsed call so far (none in a session whose calls never read or wrote the cache)."""
        return list(self.found) if self.any_cache else []

    def spikes(self) -> list[Spike]:
        """Every spike so far, its cause named by a cache miss at the same event when there is one."""
        out = []
        for i, _, fresh, ratio, miss, cause in self.spiked:
            if miss is not None and self.any_cache:
                cause = f"prompt-cache rewrite ({miss.replace('_', ' ')})"
            out.append(Spike(i, fresh, ratio, cause))
        return out

    def spike_id(self, index: int) -> str:
        """The event id of the spike at ``index``."""
        return next(eid for i, eid, *_ in self.spiked if i == index)
