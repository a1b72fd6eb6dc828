"""The recorder: sessions become root spans, events and tool calls become child spans, all through one tracer.

This is the only module that starts spans. Spans reach the store through the span processor (or, when a
sampler drops them, through an equivalent finished span queued directly), so nothing is recorded twice and
nothing is lost.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

from .. import conventions as c
from .._internal.ids import new_session_id, validate_session_id
from .._internal.jsonsafe import dumps, redact_content, sanitize, validate_data
from .._internal.log import get_logger
from .._internal.process import current_identity
from .._internal.randomids import new_span_id, new_trace_id
from .._internal.safety import Guard
from .._version import __version__
from ..config import Settings
from ..errors import InvalidInputError, InvalidTokenCount, SessionAlreadyExists, SessionNotActive, StoreError
from ..models import EventType, Session, SessionEvent, SessionStatus
from ..processing._writer import BatchWriter, SessionEndItem
from ..processing.lite import LiteTracer
from ..processing.processor import SessionSpanProcessor
from ..processing.provider import resolve_provider
from ..store.sqlite import SQLiteStore
from .context import _current, register_live, unregister_live
from .state import SessionState

__all__ = ["Recorder"]

_log = get_logger("sessionoptimizer.recorder")
_MAX_TEXT = 10_000
_MAX_TOKENS = 2**53
_START = Guard("recorder.start")
_RECREATE_ROOT = Guard("recorder.recreate_root")


def _check_text(name: str, value: object, *, max_len: int = _MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name} must be a non-empty string, got {value!r}")
    if len(value) > max_len:
        raise InvalidInputError(f"{name} is {len(value)} characters; the maximum is {max_len}")
    return value


def _check_tokens(name: str, value: object) -> int:
    if type(value) is int and 0 <= value <= _MAX_TOKENS:  # the common case, decided in one line
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTokenCount(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise InvalidTokenCount(f"{name} must not be negative, got {value}")
    if value > _MAX_TOKENS:
        raise InvalidTokenCount(f"{name} is implausibly large: {value}")
    return value


def _span_ids(span: trace.Span) -> tuple[int, int]:
    ctx = span.get_span_context()
    if ctx.is_valid:
        return ctx.trace_id, ctx.span_id
    return new_trace_id(), new_span_id()  # OTel disabled or a non-recording span: ids of our own


def _to_ns(value: datetime | None) -> int:
    if value is None:
        return time.time_ns()
    if value.tzinfo is None:
        value = value.astimezone()  # naive: local time, like datetime.now()
    return int(value.timestamp() * 1e9)


class Recorder:
    """Starts session, event and tool spans for one optimizer and feeds its writer."""

    def __init__(
        self, settings: Settings, store: SQLiteStore, tracer_provider: TracerProvider | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.sessions: dict[str, SessionState] = {}
        self.writer = BatchWriter(
            lambda: store,
            flush_interval=settings.flush_interval,
            queue_size=settings.queue_size,
            block_timeout=settings.block_timeout,
        )
        self.processor = SessionSpanProcessor(self.writer, self.sessions)
        self.provider, self.owns_provider = resolve_provider(tracer_provider, self.processor)
        # SDK spans when anyone else can see them; the equivalent fast LiteSpan when only our processor can.
        self.tracer = LiteTracer(
            self.provider, self.processor, self.provider.get_tracer(c.TRACER_NAME, __version__)
        )
        self._scope = InstrumentationScope(c.TRACER_NAME, __version__)

    # --- sessions -------------------------------------------------------------------------------------
    def start(
        self,
        agent: str,
        task: str,
        model: str | None,
        session_id: str | None,
        metadata: Mapping[str, Any] | None,
        *,
        detached: bool = False,
    ) -> tuple[Session, SessionState]:
        """Start a session: a root span plus its store row (visible as ACTIVE at once)."""
        agent = _check_text("agent", agent, max_len=200)
        task = _check_text("task", task)
        model = _check_text("model", model, max_len=200) if model is not None else self.settings.default_model
        sid = validate_session_id(session_id) if session_id is not None else new_session_id(agent)
        meta = sanitize(validate_data(metadata))
        try:  # checked before the root span starts: a span we would never end must not reach other processors
            exists = self.store.find_session(sid) is not None
        except (StoreError, sqlite3.Error, OSError) as exc:
            _START.record(exc)
            exists = False
        if exists:
            raise SessionAlreadyExists(f"a session with id {sid!r} already exists")
        attributes = {
            c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT,
            c.GEN_AI_AGENT_NAME: agent,
            c.GEN_AI_CONVERSATION_ID: sid,
            c.GEN_AI_REQUEST_MODEL: model,
            c.SO_KIND: c.KIND_SESSION,
            c.SO_SESSION_TASK: task,
        }
        root = self.tracer.start_span(c.session_span_name(agent), context=Context(), attributes=attributes)
        trace_id, span_id = _span_ids(root)
        started_ns = getattr(root, "start_time", None) or time.time_ns()
        session = Session(
            id=sid,
            agent=agent,
            task=task,
            model=model,
            status=SessionStatus.ACTIVE,
            started_at=datetime.fromtimestamp(started_ns / 1e9, UTC),
            metadata=MappingProxyType(meta),
            trace_id=f"{trace_id:032x}",
            span_id=f"{span_id:016x}",
        )
        try:
            self.store.create_session(session, owner=None if detached else current_identity())
        except SessionAlreadyExists:
            raise
        except (StoreError, sqlite3.Error, OSError) as exc:  # disk full or read-only: record on, never break
            _START.record(exc)
        state = SessionState(
            sid,
            agent,
            task,
            model,
            parent_context=trace.set_span_in_context(
                root if root.is_recording() else _remote(trace_id, span_id)
            ),
            recorder=self,
            started_ns=started_ns,
            root_span=None if detached else root,
        )
        self.sessions[sid] = state
        if not detached:
            register_live(state)
        return session, state

    def attach(self, session_id: str) -> SessionState:
        """The state of a (validated) session id, attaching one started elsewhere (another process) if needed."""
        state = self.sessions.get(session_id)
        if state is not None and state.root_span is not None:
            if state.ended:
                raise SessionNotActive(f"session {session_id!r} has ended")
            return state
        session = self.store.get_session(session_id)
        if session.status is not SessionStatus.ACTIVE:
            raise SessionNotActive(f"session {session_id!r} is not active (status {session.status.value})")
        if state is None:
            trace_id = int(session.trace_id or "0", 16) or new_trace_id()
            span_id = int(session.span_id or "0", 16) or new_span_id()
            state = SessionState(
                session.id,
                session.agent,
                session.task,
                session.model,
                parent_context=trace.set_span_in_context(_remote(trace_id, span_id)),
                recorder=self,
                started_ns=int(session.started_at.timestamp() * 1e9),
            )
            self.sessions[session.id] = state
        return state

    def end(self, session_id: str, status: SessionStatus) -> None:
        """End a session by ending its root span (re-created from stored ids if it began in another process)."""
        state = self.attach(session_id)
        end_ns = time.time_ns()
        state.ended = True
        unregister_live(state.id)
        root = state.root_span
        if root is None:
            root = self._recreate_root(state)
        if root is not None and root.is_recording():
            root.set_attribute(c.SO_SESSION_STATUS, status.value)
            if status is SessionStatus.FAILED:
                root.set_status(Status(StatusCode.ERROR))
            root.end(end_time=end_ns)
        else:
            self.writer.put(SessionEndItem(state.id, status.value, end_ns / 1e9))

    def _recreate_root(self, state: SessionState) -> SdkSpan | None:
        """Rebuild the root span of a session begun elsewhere so its end is exported like any other."""
        with _RECREATE_ROOT:
            parent = trace.get_current_span(state.parent_context).get_span_context()
            span = _RecreatedSpan(
                c.session_span_name(state.agent),
                SpanContext(parent.trace_id, parent.span_id, is_remote=False, trace_flags=TraceFlags(1)),
                resource=self.provider.resource,
                attributes={
                    c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT,
                    c.GEN_AI_AGENT_NAME: state.agent,
                    c.GEN_AI_CONVERSATION_ID: state.id,
                    c.GEN_AI_REQUEST_MODEL: state.model,
                    c.SO_KIND: c.KIND_SESSION,
                    c.SO_SESSION_TASK: state.task,
                },
                span_processor=self.provider._active_span_processor,
                instrumentation_scope=self._scope,
            )
            span.start(start_time=state.started_ns)
            return span
        return None

    # --- events ----------------------------------------------------------------------------------------
    def log(
        self,
        state: SessionState,
        event_type: EventType | str,
        data: Mapping[str, Any] | None = None,
        tokens_input: int = 0,
        tokens_output: int = 0,
        *,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        timestamp: datetime | None = None,
        duration_ms: float | None = None,
        is_error: bool | None = None,
    ) -> SessionEvent:
        """Record one event as a child span of the session; validates everything before recording anything."""
        etype = EventType.parse(event_type)
        tin = _check_tokens("tokens_input", tokens_input)
        tout = _check_tokens("tokens_output", tokens_output)
        cread = _check_tokens("cache_read_tokens", cache_read_tokens)
        cwrite = _check_tokens("cache_write_tokens", cache_write_tokens)
        reasoning = _check_tokens("reasoning_tokens", reasoning_tokens)
        if etype is EventType.THINKING and not reasoning:
            reasoning = tout
        if reasoning > tout:
            raise InvalidTokenCount(f"reasoning_tokens ({reasoning}) cannot exceed tokens_output ({tout})")
        if duration_ms is not None and (not isinstance(duration_ms, int | float) or duration_ms < 0):
            raise InvalidInputError(f"duration_ms must be a non-negative number, got {duration_ms!r}")
        payload = validate_data(data)
        if payload:
            if not self.settings.capture_content:
                payload = redact_content(payload)
            payload = sanitize(payload)
        failed = bool(is_error) if is_error is not None else etype is EventType.ERROR
        tool = payload.get("tool")

        attrs: dict[str, Any] = {
            c.SO_KIND: c.KIND_EVENT,
            c.SO_EVENT_TYPE: etype.value,
            c.GEN_AI_CONVERSATION_ID: state.id,
        }
        if payload:
            attrs[c.SO_EVENT_DATA] = dumps(payload)
        if tin or cread or cwrite:
            attrs[c.GEN_AI_USAGE_INPUT_TOKENS] = tin + cread + cwrite
            attrs[c.SO_TOKENS_INPUT_UNCACHED] = tin
        if tout:
            attrs[c.GEN_AI_USAGE_OUTPUT_TOKENS] = tout
        if cread:
            attrs[c.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cread
        if cwrite:
            attrs[c.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cwrite
        if reasoning:
            attrs[c.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning
        if isinstance(tool, str):
            attrs[c.GEN_AI_TOOL_NAME] = tool
        error_type = None
        if failed:
            raw = payload.get("error_type") or payload.get("error_kind") or "error"
            error_type = str(raw)
            attrs[c.ERROR_TYPE] = error_type

        start_ns = _to_ns(timestamp)
        end_ns = start_ns + int((duration_ms or 0) * 1e6)
        context = None if _current.get() is state else state.parent_context
        span = self.tracer.start_span(
            c.event_span_name(etype.value), context=context, attributes=attrs, start_time=start_ns
        )
        recording = span.is_recording()
        if failed:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=end_ns)
        # a span nobody records may carry its parent's id (the no-op tracer): the stored event needs its own
        span_id = _span_ids(span)[1] if recording else new_span_id()
        if not recording:
            self.queue_unsampled(
                state, span_id, c.event_span_name(etype.value), attrs, start_ns, end_ns, failed
            )
        return SessionEvent(
            id=f"{span_id:016x}",
            session_id=state.id,
            event_type=etype,
            timestamp=datetime.fromtimestamp(start_ns / 1e9, UTC),
            data=MappingProxyType(payload),
            tokens_input=tin,
            tokens_output=tout,
            cache_read_tokens=cread,
            cache_write_tokens=cwrite,
            reasoning_tokens=reasoning,
            duration_ms=duration_ms,
            name=tool if isinstance(tool, str) else None,
            is_error=failed,
            error_type=error_type,
        )

    def queue_unsampled(
        self,
        state: SessionState,
        span_id: int,
        name: str,
        attrs: Mapping[str, Any],
        start_ns: int,
        end_ns: int,
        failed: bool,
    ) -> None:
        """Queue a finished-span equivalent for a span the sampler dropped (the store keeps every event)."""
        parent = trace.get_current_span(state.parent_context).get_span_context()
        self.writer.put(
            ReadableSpan(
                name,
                context=SpanContext(parent.trace_id, span_id, is_remote=False),
                attributes=attrs,
                start_time=start_ns,
                end_time=end_ns,
                status=Status(StatusCode.ERROR if failed else StatusCode.UNSET),
            )
        )


class _RecreatedSpan(SdkSpan):
    """A session root span re-created at its end in another process (the SDK only lets subclasses be built)."""


def _remote(trace_id: int, span_id: int) -> NonRecordingSpan:
    return NonRecordingSpan(SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(1)))
