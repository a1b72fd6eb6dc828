"""The one pass every analysis makes, fed batch by batch: shared running views plus each analyzer's own state.

A :class:`Feed` holds no events. It keeps running totals (tokens, cost, thinking, notes), active time, the
tool actions still open to a later error (a window of the most recent ones), prompt-cache misses and token
spikes, and the state of every incremental analyzer; :meth:`Feed.context` turns them into the context the
analyzers' ``drafts`` read. A full analysis feeds all events once; a live one feeds each new batch.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sessionoptimizer_sdk.models import ErrorKind, EventType, Session, SessionEvent, TokenUsage

from ._caches import CacheTracker
from .config import AnalysisConfig
from .context import MODEL_CALL_TYPES, TOOL_TYPES, AnalysisContext, get_int, get_str
from .errorkinds import COUNTED_KINDS, classify_error
from .facts import EventFacts, facts_of
from .incremental import Delta, IncrementalAnalyzer, LiveAction, is_incremental
from .pricing import ModelRates, Pricer

__all__ = ["ACTION_WINDOW", "Feed", "RetroactiveError", "feed_all"]

#: Tool actions kept open to a later error naming them (an error for an older one re-runs without a window).
ACTION_WINDOW = 64
#: Events per batch handed to the analyzers in one go (a longer batch is split).
FEED_CHUNK = 1_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)
_DEFAULT_TOOL = {EventType.FILE_READ: "Read", EventType.FILE_WRITE: "Write", EventType.TOOL_CALL: "tool"}


class RetroactiveError(Exception):
    """An error event names a tool action already released to the analyzers (feed again without a window)."""


def _us(ts: datetime) -> int:
    """Microseconds since the epoch (exact integer arithmetic, as ``timedelta`` does)."""
    delta = ts - (_EPOCH if ts.tzinfo is not None else _EPOCH_NAIVE)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Feed:
    """Running views of one session's events so far (time order) and its analyzers' states; no events held."""

    def __init__(
        self,
        session: Session,
        config: AnalysisConfig,
        analyzers: Iterable[object],
        *,
        window: int | None = ACTION_WINDOW,
        keep_settlements: bool = False,
    ) -> None:
        self.session_model = session.model
        #: What the last report settled per draft (``engine``'s business), for the next; None: not kept.
        self.kept_settlements: dict[object, Any] | None = {} if keep_settlements else None
        self._settled_for: tuple[object, ...] | None = None
        self.config = config
        self.window = window
        self.analyzers: list[IncrementalAnalyzer] = [a for a in analyzers if is_incremental(a)]  # type: ignore[misc]
        self.states: dict[str, Any] = {a.name: a.start() for a in self.analyzers}
        self.count = 0
        self.first_id: str | None = None
        self.last_id: str | None = None
        self.last_key: tuple[datetime, int] | None = None
        self.ti = self.to = self.tcr = self.tcw = self.thinking = self.signature_only = 0
        self.estimated: dict[str, int] = {}
        self.billed = 0
        self.models: dict[str, None] = {}  # distinct billed models, first appearance first
        self.cost = 0.0
        self.cost_unpriced = False
        self._pricer = Pricer(config, session.started_at, session.agent)
        self._model: str | None = None  # the model of the last billed event, and its rates
        self._rates: ModelRates | None = None
        self.incomplete = self.estimated_events = 0
        self.times = array("q")
        self._last_ts: datetime | None = None  # the timestamp of ``times[-1]``
        self.active_us = 0
        self._idle = config.idle_gap_minutes * 60
        self.open: deque[LiveAction] = deque()
        self.by_call_id: dict[str, LiveAction] = {}
        self.closed_ids: set[str] = set()
        self.last_action: LiveAction | None = None
        self.pending_calls: list[EventFacts] = []
        self.actions = 0
        self.closed_kinds: Counter[ErrorKind | None] = Counter()
        self.closed_redacted = 0
        self.caches = CacheTracker(config, session.model)

    def __len__(self) -> int:
        return self.count

    # --- feeding --------------------------------------------------------------------------------------------
    def add(self, events: Sequence[SessionEvent]) -> None:
        """Feed events that follow every event fed so far in time order (RetroactiveError: feed again).

        A long batch is fed in chunks of ``FEED_CHUNK``: released actions and per-batch facts die young
        instead of surviving into the cyclic GC's oldest generation (which makes it walk the whole heap).
        """
        if len(events) <= FEED_CHUNK:
            self._add(events)
            return
        for i in range(0, len(events), FEED_CHUNK):
            self._add(events[i : i + FEED_CHUNK])

    def _add(self, events: Sequence[SessionEvent]) -> None:
        """Feed one batch: everything per event in one loop with its state in locals (this runs per event)."""
        if not events:
            return
        start = count = self.count
        released: list[LiveAction] = []
        facts: list[EventFacts | None] = []
        note = facts.append
        model_types, tool_types = MODEL_CALL_TYPES, TOOL_TYPES
        error_t, thinking_t = EventType.ERROR, EventType.THINKING
        compaction_t, call_t = EventType.COMPACTION, EventType.TOOL_CALL
        times, idle = self.times, self._idle
        push_time = times.append
        last_us, last_ts = (times[-1] if times else 0), self._last_ts
        active_us, thinking = self.active_us, self.thinking
        incomplete, estimated = self.incomplete, self.estimated_events
        caches, window, open_actions, pending = self.caches, self.window, self.open, self.pending_calls
        bill, add_action, release = self._bill, self._add_action, self._release
        try:
            for e in events:
                t = e.event_type
                ts = e.timestamp
                if last_ts is None:
                    us = _us(ts)
                else:
                    try:  # from the previous event: small numbers, cheaper than from the epoch (same value)
                        gap = (ts - last_ts) // _ONE_US
                    except TypeError:  # naive after aware or the reverse: each from its own epoch
                        gap = _us(ts) - last_us
                    us = last_us + gap
                    if gap > 0 and gap / 1_000_000 <= idle:
                        active_us += gap
                push_time(us)
                last_us, last_ts = us, ts
                d = e.data
                out = e.tokens_output
                if e.tokens_input or out or e.cache_read_tokens or e.cache_write_tokens:
                    f = bill(e)
                    is_call = t in model_types
                    if is_call:
                        pending.append(f)
                else:
                    f = None
                    is_call = False
                note(f)
                r = e.reasoning_tokens
                if t is thinking_t:
                    thinking += r if r > out else out
                    if not out and not r:
                        self._thinking_text(e)
                elif r:
                    thinking += r if r < out else out
                if d and ("output_incomplete" in d or "tokens_estimated" in d):
                    if d.get("output_incomplete"):
                        incomplete += 1
                    if d.get("tokens_estimated"):
                        estimated += 1
                if is_call and not d.get("sidechain"):
                    caches.call(count, e, f)
                else:
                    if t is compaction_t:
                        caches.compaction_since = True
                    if caches.prev is not None and (t is call_t or caches.changed is None):
                        caches.between(e)
                    if t in tool_types:
                        logged = d.get("result_tokens")
                        if type(logged) is int and logged >= 0:
                            content = logged
                        elif type(logged) is float and 0 <= logged < 1e18:
                            content = int(logged)
                        else:
                            content = e.tokens_input
                        add_action(e)
                        if window is not None and len(open_actions) > window:
                            released.append(release())
                        if content > caches.tool_tokens:  # the largest tool result since the last call
                            caches.tool_result(e, content)
                    elif t is error_t:
                        self._attach_error(e)
                        while window is not None and len(open_actions) > window:
                            released.append(release())
                if f is not None:
                    fresh = e.tokens_input + e.cache_write_tokens + out
                    if fresh > 0:
                        caches.spike(count, e, fresh)
                count += 1
        finally:
            self.active_us, self.thinking, self._last_ts = active_us, thinking, last_ts
            self.incomplete, self.estimated_events = incomplete, estimated
        self.count = count
        if self.first_id is None:
            self.first_id = events[0].id
        self.last_id = events[-1].id
        self.last_key = (events[-1].timestamp, events[-1].seq)
        batch = Delta(events, start, self.config, self.session_model, released, facts)
        for a in self.analyzers:
            a.feed(self.states[a.name], batch)

    def _bill(self, e: SessionEvent) -> EventFacts:
        f = facts_of(e)
        self.billed += 1
        self.ti += e.tokens_input
        self.to += e.tokens_output
        self.tcr += e.cache_read_tokens
        self.tcw += e.cache_write_tokens
        model = f.model or self.session_model
        if model != self._model:  # sessions bill one model for long runs: look it up once per run
            if model not in self.models:
                self.models[model] = None
            self._model, self._rates = model, self._pricer.rates(model)
        if self.cost_unpriced:
            return f
        rates = self._rates
        if rates is None:
            self.cost_unpriced = True
            return f
        self.cost += rates.cost_of(f.input, f.cache_read, f.cache_write, f.output, f.write_1h)
        return f

    def _thinking_text(self, e: SessionEvent) -> None:
        guess = get_int(e.data, "estimated_tokens")
        if e.data.get("redacted") or (e.data.get("encrypted") and not guess):
            self.signature_only += 1
        elif guess:
            key = get_str(e.data, "response_id") or e.id
            self.estimated[key] = self.estimated.get(key, 0) + guess

    def _new_action(self, e: SessionEvent, tool: str, args: str | None, result: str | None) -> LiveAction:
        d = e.data
        command = d.get("command") if "command" in d else None
        calls = self.pending_calls
        action = LiveAction(
            e.id,
            tool,
            None,
            args,
            result,
            e,
            tuple(calls) if calls else (),
            "result_redacted" in d and bool(d["result_redacted"]),
            command if isinstance(command, str) and command else None,
        )
        if calls:
            calls.clear()  # the same list: the feed's loop holds it
        self.open.append(action)
        self.actions += 1
        return action

    def _add_action(self, e: SessionEvent) -> None:
        d = e.data
        tool = d.get("tool")
        if not isinstance(tool, str) or not tool:
            tool = e.name or _DEFAULT_TOOL[e.event_type]
        args = d.get("args_sha256")
        if not isinstance(args, str):
            args = (
                f"{d.get('file_path')}|{d.get('offset')}|{d.get('limit')}"
                if e.event_type is EventType.FILE_READ
                else None
            )
        result = d.get("result_sha256") or d.get("content_sha256")
        # _new_action, inline (one call fewer per tool event)
        command = d.get("command") if "command" in d else None
        calls = self.pending_calls
        action = LiveAction(
            e.id,
            tool,
            None,
            args,
            result if isinstance(result, str) else None,
            e,
            tuple(calls) if calls else (),
            "result_redacted" in d and bool(d["result_redacted"]),
            command if isinstance(command, str) and command else None,
        )
        if calls:
            calls.clear()
        self.open.append(action)
        self.actions += 1
        if e.is_error:
            self._fail(
                action, get_str(d, "error") or get_str(d, "message"), d.get("error_kind"), e.error_type
            )
        if "tool_call_id" in d:
            call_id = d["tool_call_id"]
            if isinstance(call_id, str) and call_id:
                action.call_id = call_id
                self.by_call_id[call_id] = action
        self.last_action = action

    @staticmethod
    def _fail(action: LiveAction, message: str | None, kind: object, error_type: object) -> None:
        """Mark ``action`` failed: a later generic error keeps an earlier specific kind (a denial stays a denial).

        The message kept is the one that decided the kind.
        """
        if action.closed:
            raise RetroactiveError(action.id)
        found = classify_error(message, error_kind=kind, error_type=error_type, tool=action.tool)
        if action.failed and found is ErrorKind.AGENT_ERROR and action.error_kind is not None:
            action.message = action.message or message
            return
        action.failed = True
        action.message = message or action.message
        action.error_kind = found

    def _attach_error(self, e: SessionEvent) -> None:
        d = e.data
        call_id = get_str(d, "tool_call_id")
        tool = get_str(d, "tool") or e.name
        last = self.last_action
        target = self.by_call_id.get(call_id) if call_id else None
        if target is None and call_id is not None and call_id in self.closed_ids:
            raise RetroactiveError(e.id)
        attach_to_last = last is not None and not last.failed and (tool is None or tool == last.tool)
        created = False
        if target is None and call_id is None and attach_to_last:
            target = last
        if target is None:
            target = self._new_action(e, tool or "error", None, None)
            created = True
        self._fail(target, get_str(d, "message") or get_str(d, "error"), d.get("error_kind"), e.error_type)
        target.error_events = (*target.error_events, e.id)
        if not created:
            self.last_action = target

    def _release(self) -> LiveAction:
        a = self.open.popleft()
        a.closed = True
        if a.call_id is not None:
            if self.by_call_id.get(a.call_id) is a:
                del self.by_call_id[a.call_id]
            self.closed_ids.add(a.call_id)
        if a.failed:
            self.closed_kinds[a.error_kind] += 1
        elif a.redacted:
            self.closed_redacted += 1
        return a

    # --- reading --------------------------------------------------------------------------------------------
    def error_stats(self) -> dict[str, float]:
        """Tool calls, errors by kind and the counted error rate (closed and still open actions)."""
        kinds = Counter(self.closed_kinds)
        redacted = self.closed_redacted
        for a in self.open:
            if a.failed:
                kinds[a.error_kind] += 1
            elif a.redacted:
                redacted += 1
        calls = self.actions - redacted
        counted = sum(n for k, n in kinds.items() if k in COUNTED_KINDS)
        return {
            "tool_calls": float(calls),
            "agent_errors": float(counted),
            "error_rate": counted / calls if calls else (float("nan") if redacted else 0.0),
            "redacted_tool_outputs": float(redacted),
            "user_rejections": float(kinds.get(ErrorKind.USER_REJECTION, 0)),
            "permission_denials": float(kinds.get(ErrorKind.PERMISSION_DENIED, 0)),
        }

    def minutes(self, session: Session, now: datetime) -> tuple[float, float]:
        """(active minutes, wall minutes); an ACTIVE session runs to ``now``.

        O(log n): the session's start and end are merged into the events' running figures where they fall.
        """
        end = session.ended_at if session.ended_at is not None else (now if session.is_active else None)
        extra = sorted([_us(session.started_at), *(() if end is None else (_us(end),))])
        times, idle = self.times, self._idle

        def active(a: int, b: int) -> int:
            return b - a if b - a > 0 and (b - a) / 1_000_000 <= idle else 0

        total = self.active_us
        groups: dict[int, list[int]] = {}
        for x in extra:  # after the equal event times, as a stable sort of [start, *events, end] puts them
            groups.setdefault(bisect.bisect_right(times, x), []).append(x)
        for pos, xs in groups.items():
            before = times[pos - 1] if pos > 0 else None
            after = times[pos] if pos < len(times) else None
            chain = [p for p in (before, *xs, after) if p is not None]
            if before is not None and after is not None:
                total -= active(before, after)
            total += sum(active(a, b) for a, b in itertools.pairwise(chain))
        lo = min(extra[0], times[0]) if times else extra[0]
        hi = max(extra[-1], times[-1]) if times else extra[-1]
        return total / 1_000_000 / 60, max((hi - lo) / 1_000_000, 0.0) / 60

    def settlements(self, session: Session) -> dict[object, Any] | None:
        """The settlements kept from the last report, emptied if the session's pricing inputs changed since."""
        if self.kept_settlements is None:
            return None
        key = (session.model, session.started_at, session.agent)
        if key != self._settled_for:
            self._settled_for, self.kept_settlements = key, {}
        return self.kept_settlements

    def context(self, session: Session, now: datetime) -> AnalysisContext:
        """The context the analyzers' ``drafts`` read: totals, thinking, shared results (no events)."""
        ctx = AnalysisContext(session, (), self.config, now, session.is_active)
        thinking = self.thinking
        if not thinking and self.estimated:
            thinking, ctx.thinking_basis = sum(self.estimated.values()), "estimated"
            ctx.thinking_by_response = dict(self.estimated)
        elif not thinking and self.signature_only:
            ctx.thinking_basis = "not_measurable"
        ctx.thinking_tokens = thinking
        ctx.totals = TokenUsage(self.ti, self.to, self.tcr, self.tcw, min(thinking, self.to))
        misses = self.caches.misses()
        ctx.memo.update(
            {
                "feed": self,
                "error_stats": self.error_stats(),
                "minutes": self.minutes(session, now),
                "cache_misses": tuple(misses),
                "spikes": tuple(self.caches.spikes()),
            }
        )
        return ctx


def feed_all(
    session: Session, events: Sequence[SessionEvent], config: AnalysisConfig, analyzers: Iterable[object]
) -> Feed:
    """A feed of all ``events`` (already in time order); fed again without a window if an error names an old action.

    The window also keeps the full path's memory flat: released actions die young instead of piling up for the
    cyclic GC to walk.
    """
    analyzers = list(analyzers)
    feed = Feed(session, config, analyzers)
    try:
        feed.add(events)
    except RetroactiveError:
        feed = Feed(session, config, analyzers, window=None)
        feed.add(events)
    return feed


def analyze_alone(analyzer: IncrementalAnalyzer, ctx: AnalysisContext) -> list[Any]:
    """Drafts of one incremental analyzer over a built context's events (its ``analyze(ctx)``)."""
    feed = feed_all(ctx.session, ctx.events, ctx.config, [analyzer])
    view = feed.context(ctx.session, ctx.now)
    view.findings = ctx.findings
    return list(analyzer.drafts(feed.states[analyzer.name], view))
