"""One pass over a session's events that builds the views every detector shares (actions, model calls)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sessionoptimizer_sdk.models import ErrorKind, EventType, Session, SessionEvent, TokenUsage

from .claims import Claim, Pool
from .config import AnalysisConfig
from .errorkinds import classify_error
from .report import Finding

__all__ = ["MODEL_CALL_TYPES", "TOOL_TYPES", "Action", "AnalysisContext", "Scan", "get_int", "get_str"]

MODEL_CALL_TYPES = frozenset({EventType.AI_RESPONSE, EventType.THINKING, EventType.TOKEN_USAGE})
TOOL_TYPES = frozenset({EventType.TOOL_CALL, EventType.FILE_READ, EventType.FILE_WRITE})
_READ, _WRITE = EventType.FILE_READ, EventType.FILE_WRITE
_DEFAULT_TOOL = {EventType.FILE_READ: "Read", EventType.FILE_WRITE: "Write", EventType.TOOL_CALL: "tool"}


def get_int(data: Mapping[str, Any], key: str) -> int | None:
    """``data[key]`` if it is a non-negative finite number (bools and junk are ignored), else None."""
    value = data.get(key)
    if value is None:
        return None
    if type(value) is int:
        return value if value >= 0 else None
    if type(value) is float and 0 <= value < 1e18:
        return int(value)
    return None


def get_str(data: Mapping[str, Any], key: str) -> str | None:
    """``data[key]`` if it is a non-empty string, else None."""
    value = data.get(key)
    return value if type(value) is str and value else None


@dataclass(slots=True)
class Action:
    """A tool action (read, write, tool call, or an error with no call) and how it ended."""

    index: int
    event: SessionEvent
    tool: str
    args_key: str | None
    result_key: str | None
    is_edit: bool
    failed: bool = False
    error_kind: ErrorKind | None = None
    error_events: tuple[str, ...] = ()
    message: str | None = None


@dataclass(slots=True)
class AnalysisContext:
    """The session, its time-ordered events and shared views; detectors read it and never mutate it."""

    session: Session
    events: Sequence[SessionEvent]
    config: AnalysisConfig
    now: datetime
    provisional: bool
    actions: list[Action] = field(default_factory=list)
    model_calls: list[int] = field(default_factory=list)
    compactions: list[int] = field(default_factory=list)
    #: Indices of events that billed any tokens.
    billed: list[int] = field(default_factory=list)
    totals: TokenUsage = field(default_factory=TokenUsage)
    #: Thinking tokens (reasoning, or all output of THINKING events), before capping at output.
    thinking_tokens: int = 0
    #: Where ``thinking_tokens`` comes from: ``reported`` by the provider, ``estimated`` from stored thinking
    #: text (chars / 4; Claude Code lumps thinking into output), ``not_measurable`` (only signatures stored).
    thinking_basis: str = "reported"
    #: Estimated thinking tokens per response id (Claude Code THINKING blocks with stored text).
    thinking_by_response: dict[str, int] = field(default_factory=dict)
    #: Tokens each event put into the context (tool events; 0 for the others), by event index.
    content: list[int] = field(default_factory=list)
    #: Settled findings of the analyzers that ran before (for session-level flags such as high_waste).
    findings: list[Finding] = field(default_factory=list)
    #: Results shared between detectors and metrics (computed once).
    memo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls, session: Session, events: Sequence[SessionEvent], config: AnalysisConfig, now: datetime
    ) -> AnalysisContext:
        """Sort events by time and build the shared views in one pass."""
        ordered = sorted(events, key=lambda e: (e.timestamp, e.seq))
        ctx = cls(session, ordered, config, now, session.is_active)
        scan = Scan()
        scan.extend(ctx)
        scan.finish(ctx)
        return ctx

    def _add_action(self, i: int, e: SessionEvent, by_call_id: dict[str, Action]) -> Action:
        d = e.data
        tool = d.get("tool")
        if not isinstance(tool, str) or not tool:
            tool = e.name or _DEFAULT_TOOL[e.event_type]
        args = d.get("args_sha256")
        if not isinstance(args, str):
            args = (
                f"{d.get('file_path')}|{d.get('offset')}|{d.get('limit')}" if e.event_type is _READ else None
            )
        result = d.get("result_sha256") or d.get("content_sha256")
        action = Action(i, e, tool, args, result if isinstance(result, str) else None, e.event_type is _WRITE)
        if e.is_error:
            message = get_str(d, "error") or get_str(d, "message")
            self._fail(action, message, d.get("error_kind"), e.error_type)
        call_id = d.get("tool_call_id")
        if isinstance(call_id, str) and call_id:
            by_call_id[call_id] = action
        self.actions.append(action)
        return action

    def _fail(self, action: Action, message: str | None, kind: object, error_type: object) -> None:
        action.failed = True
        action.message = action.message or message
        action.error_kind = classify_error(message, error_kind=kind, error_type=error_type, tool=action.tool)

    def _attach_error(
        self, i: int, e: SessionEvent, by_call_id: dict[str, Action], last: Action | None
    ) -> Action | None:
        d = e.data
        call_id = get_str(d, "tool_call_id")
        tool = get_str(d, "tool") or e.name
        target = by_call_id.get(call_id) if call_id else None
        attach_to_last = last is not None and not last.failed and (tool is None or tool == last.tool)
        if target is None and call_id is None and attach_to_last:
            target = last
        if target is None:
            target = Action(i, e, tool or "error", None, None, False)
            self.actions.append(target)
        message = get_str(d, "message") or get_str(d, "error")
        self._fail(target, message, d.get("error_kind"), e.error_type)
        target.error_events = (*target.error_events, e.id)
        return target if target.event is not e else last

    # --- helpers shared by detectors ------------------------------------------------------------------
    def model_of(self, e: SessionEvent) -> str:
        """The model an event billed against: its own ``data['model']`` or the session's."""
        return get_str(e.data, "model") or self.session.model

    def content_tokens(self, e: SessionEvent) -> int:
        """Tokens a tool event put into the context: ``result_tokens`` or, when absent, its billed input."""
        logged = get_int(e.data, "result_tokens")
        return logged if logged is not None else e.tokens_input

    def content_claim(self, e: SessionEvent, tokens: int) -> Claim:
        """A claim on a tool event's content (the ``content`` pool, or ``input`` when that is where it was billed)."""
        pool: Pool = "content" if get_int(e.data, "result_tokens") is not None else "input"
        return Claim(e.id, pool, tokens)

    def fresh_claims(self, e: SessionEvent) -> list[Claim]:
        """Claims on all of an event's fresh tokens (uncached input, cache writes, output)."""
        kinds: tuple[tuple[Pool, int], ...] = (
            ("input", e.tokens_input),
            ("cache_write", e.cache_write_tokens),
            ("output", e.tokens_output),
        )
        return [Claim(e.id, pool, n) for pool, n in kinds if n > 0]

    def reasoning_of(self, e: SessionEvent) -> int:
        """Thinking tokens of an event: ``reasoning_tokens``, or all output of a THINKING event."""
        if e.event_type is EventType.THINKING:
            return max(e.reasoning_tokens, e.tokens_output)
        return min(e.reasoning_tokens, e.tokens_output)


@dataclass(slots=True)
class Scan:
    """The state of the one pass over a context's events, so it can resume when events are appended."""

    done: int = 0
    ti: int = 0
    to: int = 0
    tcr: int = 0
    tcw: int = 0
    thinking: int = 0
    signature_only: int = 0
    estimated: dict[str, int] = field(default_factory=dict)
    by_call_id: dict[str, Action] = field(default_factory=dict)
    last_action: Action | None = None

    def extend(self, ctx: AnalysisContext) -> None:
        """Add the views of ``ctx.events[done:]`` (events appended in time order since the last call)."""
        ordered = ctx.events
        by_call_id = self.by_call_id
        last_action = self.last_action
        model_types, tool_types = MODEL_CALL_TYPES, TOOL_TYPES
        error_t, compaction_t, thinking_t = EventType.ERROR, EventType.COMPACTION, EventType.THINKING
        billed, model_calls = ctx.billed, ctx.model_calls
        ti, to, tcr, tcw, thinking = self.ti, self.to, self.tcr, self.tcw, self.thinking
        estimated = self.estimated
        signature_only = self.signature_only
        content = ctx.content
        content.extend([0] * (len(ordered) - len(content)))
        for i in range(self.done, len(ordered)):
            e = ordered[i]
            t = e.event_type
            if e.tokens_input or e.tokens_output or e.cache_read_tokens or e.cache_write_tokens:
                billed.append(i)
                ti += e.tokens_input
                to += e.tokens_output
                tcr += e.cache_read_tokens
                tcw += e.cache_write_tokens
                if t in model_types:
                    model_calls.append(i)
            if e.reasoning_tokens or t is thinking_t:
                thinking += ctx.reasoning_of(e)
            if t is thinking_t and not e.tokens_output and not e.reasoning_tokens:
                guess = get_int(e.data, "estimated_tokens")
                if e.data.get("redacted") or (e.data.get("encrypted") and not guess):
                    signature_only += 1
                elif guess:
                    key = get_str(e.data, "response_id") or e.id
                    estimated[key] = estimated.get(key, 0) + guess
            if t in tool_types:
                logged = get_int(e.data, "result_tokens")
                content[i] = e.tokens_input if logged is None else logged
                last_action = ctx._add_action(i, e, by_call_id)
            elif t is error_t:
                last_action = ctx._attach_error(i, e, by_call_id, last_action)
            elif t is compaction_t:
                ctx.compactions.append(i)
        self.done = len(ordered)
        self.ti, self.to, self.tcr, self.tcw, self.thinking = ti, to, tcr, tcw, thinking
        self.signature_only = signature_only
        self.last_action = last_action

    def finish(self, ctx: AnalysisContext) -> None:
        """Set the context's totals and thinking figures from the pass so far."""
        thinking, estimated = self.thinking, self.estimated
        if not thinking and estimated:  # the provider reported none: estimate from the stored text
            thinking, ctx.thinking_basis = sum(estimated.values()), "estimated"
            ctx.thinking_by_response = dict(estimated)
        elif not thinking and self.signature_only:
            ctx.thinking_basis = "not_measurable"
        ctx.thinking_tokens = thinking
        ctx.totals = TokenUsage(self.ti, self.to, self.tcr, self.tcw, min(thinking, self.to))
