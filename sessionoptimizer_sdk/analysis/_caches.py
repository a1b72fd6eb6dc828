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
_TOOL_CALL = EventType.TOOL_CALL


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
        self._prev_context = 0  # input + cache reads + cache writes of ``prev``
        self._min_context, self._collapse = config.cache_min_context_tokens, config.cache_collapse_ratio
        self._spike_calls, self._spike_tokens = config.spike_min_prior_calls, config.spike_min_tokens
        self._spike_factor = config.spike_factor

    def _model_of(self, e: SessionEvent) -> str:
        return get_str(e.data, "model") or self.session_model

    def call(self, i: int, e: SessionEvent, facts: EventFacts | None) -> None:
        """Feed the main-chain model call at position ``i`` (it billed tokens, with ``facts``)."""
        current = e.tokens_input + e.cache_read_tokens + e.cache_write_tokens
        prev = self.prev
        if prev is not None:
            if not self.on_1h and "cache_write_1h_tokens" in prev.data:
                self.on_1h = bool(get_int(prev.data, "cache_write_1h_tokens"))
            previous = self._prev_context
            if not (previous < self._min_context or e.cache_read_tokens >= self._collapse * previous):
                self._pair(i, e, facts, previous, current)
        self.prev = e
        self._prev_context = current
        if self.pending:
            self.seen |= self.pending
            self.pending = set()
        self.changed = None
        self.compaction_since = False
        if not self.any_cache and (e.cache_read_tokens or e.cache_write_tokens):
            self.any_cache = True
        self.call_writes += e.cache_write_tokens

    def tool_result(self, e: SessionEvent, content: int) -> None:
        """Note a tool result larger than any since the last model call (the usual cause of a spike)."""
        self.big_tool = (
            get_str(e.data, "file_path") or get_str(e.data, "tool") or e.name or e.event_type.value
        )
        self.tool_tokens = content

    def between(self, e: SessionEvent) -> None:
        """Note what an event between two model calls changed in the prompt prefix (tools loaded, reminders)."""
        d = e.data
        if e.event_type is _TOOL_CALL:
            tool = d.get("tool")  # get_str, inline (this runs for every tool call)
            if type(tool) is not str or not tool:
                tool = e.name or ""
            self.pending.add(tool)
            if self.changed is not None:
                return
            if tool == "ToolSearch" or (tool.startswith("mcp__") and tool not in self.seen):
                self.changed = "tool list loaded mid-session"
                return
        if self.changed is None and "system_reminder" in d and d["system_reminder"]:
            self.changed = "a system reminder was inserted"

    def _pair(self, i: int, cur: SessionEvent, facts: EventFacts | None, previous: int, current: int) -> None:
        """A call that read less than the collapse ratio of the previous call's context from cache."""
        prev = self.prev
        assert prev is not None
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

    def spike(self, i: int, e: SessionEvent, fresh: int) -> None:
        """Feed an event that billed ``fresh`` (> 0) fresh tokens: a spike if over the running average."""
        t = e.event_type
        total, count = self.total, self.count
        if (
            count >= self._spike_calls
            and fresh >= self._spike_tokens
            and fresh > self._spike_factor * total / count
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
