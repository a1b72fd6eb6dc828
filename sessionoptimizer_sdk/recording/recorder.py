"""The recorder: sessions become root spans, events and tool calls become child spans, all through one tracer.

This is the only module that starts spans. Spans reach the store through the span processor (or, when a
sampler drops them, through an equivalent finished span queued directly), so nothing is recorded twice and
nothing is lost.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
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
from .._internal import validate
from .._internal.ids import new_session_id
from .._internal.jsonsafe import dumps, redact_content, sanitize
from .._internal.log import get_logger
from .._internal.process import current_identity
from .._internal.randomids import new_span_id, new_trace_id
from .._internal.safety import Guard
from .._version import __version__
from ..config import Settings
from ..errors import InvalidTokenCount, SessionAlreadyExists, SessionNotActive, SessionNotFound
from ..models import EventType, Session, SessionEvent, SessionStatus
from ..processing._writer import BatchWriter, SessionEndItem
from ..processing.lite import LiteTracer
from ..processing.processor import SessionSpanProcessor
from ..processing.provider import resolve_provider
from .context import _current, current_scope, register_live, unregister_live
from .ports import SessionRows
from .state import SessionState

__all__ = ["Recorder"]

_log = get_logger("sessionoptimizer.recorder")
_START = Guard("recorder.start")
_RECREATE_ROOT = Guard("recorder.recreate_root")
_END_SESSION = Guard("recorder.end_session")
_END_ABANDONED = Guard("recorder.end_abandoned")
_EXPORT_RECOVERED = Guard("recorder.export_recovered")


def _span_ids(span: trace.Span) -> tuple[int, int]:
    ctx = span.get_span_context()
    if ctx.is_valid:
        return ctx.trace_id, ctx.span_id
    return new_trace_id(), new_span_id()  # OTel disabled or a non-recording span: ids of our own


class Recorder:
    """Starts session, event and tool spans for one optimizer and feeds its writer.

    The store and the writer are passed in (the facade wires them): recording depends only on the
    :class:`~sessionoptimizer_sdk.recording.ports.SessionRows` protocol, never on a store implementation.
    ``store_errors`` are the exceptions that mean "the store failed under us" (recording goes on).
    """

    def __init__(
        self,
        settings: Settings,
        store: SessionRows,
        writer: BatchWriter,
        tracer_provider: TracerProvider | None = None,
        *,
        store_errors: tuple[type[Exception], ...] = (OSError,),
    ) -> None:
        self.settings = settings
        self.store = store
        self.store_errors = store_errors
        self.sessions: dict[str, SessionState] = {}
        self.writer = writer
        self.processor = SessionSpanProcessor(self.writer, self.sessions, current_scope=current_scope)
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
        agent = validate.name("agent", agent)
        task = validate.name("task", task, max_len=validate.MAX_TEXT_LENGTH)
        model = validate.name("model", model) if model is not None else self.settings.default_model
        sid = validate.session_id(session_id) if session_id is not None else new_session_id(agent)
        meta = sanitize(validate.data(metadata, "metadata"))
        validate.event_size(dumps(meta), "metadata")
        try:  # checked before the root span starts: a span we would never end must not reach other processors
            exists = self.store.find_session(sid) is not None
        except self.store_errors as exc:
            _START.record(exc)
            exists = False
        if exists:
            raise SessionAlreadyExists(f"a session with id {sid!r} already exists")
        root = self.tracer.start_span(
            c.session_span_name(agent),
            context=Context(),
            attributes=_session_attributes(sid, agent, task, model),
        )
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
        except self.store_errors as exc:  # disk full or read-only: record on, never break
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

    def live(self, session_id: object) -> SessionState:
        """The state to log to for any session id: this process's live session, else attached (validated)."""
        state = self.sessions.get(session_id) if type(session_id) is str else None
        if state is None or state.root_span is None or state.ended:  # not a live session of this process
            state = self.attach(validate.session_id(session_id))
        return state

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
            state = self._stored_state(session)
            self.sessions[session.id] = state
        return state

    def _stored_state(self, session: Session) -> SessionState:
        """The state of a stored session begun elsewhere: its spans join the trace under its stored root ids."""
        trace_id = int(session.trace_id or "0", 16) or new_trace_id()
        span_id = int(session.span_id or "0", 16) or new_span_id()
        return SessionState(
            session.id,
            session.agent,
            session.task,
            session.model,
            parent_context=trace.set_span_in_context(_remote(trace_id, span_id)),
            recorder=self,
            started_ns=int(session.started_at.timestamp() * 1e9),
        )

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

    def end_and_read(self, session_id: str, status: SessionStatus) -> Session:
        """End a session, wait for it to be stored and return it; answered from memory if the store fails."""
        self.end(session_id, status)
        self.flush_after_end()
        unreadable: tuple[type[Exception], ...] = (SessionNotFound, *self.store_errors)
        try:
            return self.store.get_session(session_id)
        except unreadable as exc:
            state = self.sessions.get(session_id)
            if state is None:
                raise
            _END_SESSION.record(exc)  # the store failed under us: answer from memory
            return Session(
                id=state.id,
                agent=state.agent,
                task=state.task,
                model=state.model,
                status=status,
                started_at=datetime.fromtimestamp(state.started_ns / 1e9, UTC),
                ended_at=datetime.now(UTC),
            )

    def flush_after_end(self) -> None:
        """Wait (bounded) until an ended session's spans are stored, so reads right after see it ended."""
        self.writer.flush(timeout=30)

    def owned_active(self) -> list[str]:
        """Ids of sessions this process started and has not ended."""
        pid = os.getpid()
        return [
            s.id for s in self.sessions.values() if s.root_span is not None and not s.ended and s.pid == pid
        ]

    def end_abandoned(self, session_id: str) -> None:
        """End a session this process left open as ABANDONED (shutdown, exit); never raises."""
        with _END_ABANDONED:
            state = self.sessions.get(session_id)
            if state is not None and not state.ended:
                with contextlib.suppress(SessionNotActive):
                    self.end(session_id, SessionStatus.ABANDONED)

    def export_recovered(self, session_ids: Sequence[str]) -> None:
        """Export the end of sessions recovered as ABANDONED (their process died without ending them).

        The store already says ABANDONED; a collector or team server saw their events but never their root span,
        so each root is re-created and ended at the session's stored end (our processor's store update is a
        no-op: the session is no longer ACTIVE).
        """
        for sid in session_ids:
            with _EXPORT_RECOVERED:
                session = self.store.find_session(sid)
                if session is None or session.status is not SessionStatus.ABANDONED:
                    continue
                if not (session.trace_id and session.span_id):
                    continue  # never traced (an import): nobody else saw it
                state = self._stored_state(session)
                root = self._recreate_root(state)
                if root is not None:
                    ended = session.ended_at or session.started_at
                    root.set_attribute(c.SO_SESSION_STATUS, SessionStatus.ABANDONED.value)
                    root.end(end_time=max(int(ended.timestamp() * 1e9), state.started_ns))

    def _recreate_root(self, state: SessionState) -> SdkSpan | None:
        """Rebuild the root span of a session begun elsewhere so its end is exported like any other."""
        with _RECREATE_ROOT:
            parent = trace.get_current_span(state.parent_context).get_span_context()
            span = _RecreatedSpan(
                c.session_span_name(state.agent),
                SpanContext(parent.trace_id, parent.span_id, is_remote=False, trace_flags=TraceFlags(1)),
                resource=self.provider.resource,
                attributes=_session_attributes(state.id, state.agent, state.task, state.model),
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
        tin = validate.token_count("tokens_input", tokens_input)
        tout = validate.token_count("tokens_output", tokens_output)
        cread = validate.token_count("cache_read_tokens", cache_read_tokens)
        cwrite = validate.token_count("cache_write_tokens", cache_write_tokens)
        reasoning = validate.token_count("reasoning_tokens", reasoning_tokens)
        if etype is EventType.THINKING and not reasoning:
            reasoning = tout
        if reasoning > tout:
            raise InvalidTokenCount(f"reasoning_tokens ({reasoning}) cannot exceed tokens_output ({tout})")
        duration_ms = validate.duration_ms(duration_ms)
        given_ns = validate.timestamp_ns(timestamp)
        start_ns = time.time_ns() if given_ns is None else given_ns
        end_ns = validate.end_ns(start_ns, duration_ms)
        payload = validate.data(data)
        serialised = None
        if payload:
            if not self.settings.capture_content:
                payload = redact_content(payload)
            payload = sanitize(payload)
            serialised = validate.event_size(dumps(payload))
        failed = bool(is_error) if is_error is not None else etype is EventType.ERROR
        tool = payload.get("tool")

        attrs: dict[str, Any] = {
            c.SO_KIND: c.KIND_EVENT,
            c.SO_EVENT_TYPE: etype.value,
            c.GEN_AI_CONVERSATION_ID: state.id,
        }
        if serialised is not None:
            attrs[c.SO_EVENT_DATA] = serialised
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


def _session_attributes(sid: str, agent: str, task: str, model: str) -> dict[str, Any]:
    """Attributes of a session's root span (at its start, and when re-created in another process)."""
    return {
        c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT,
        c.GEN_AI_AGENT_NAME: agent,
        c.GEN_AI_CONVERSATION_ID: sid,
        c.GEN_AI_REQUEST_MODEL: model,
        c.SO_KIND: c.KIND_SESSION,
        c.SO_SESSION_TASK: task,
    }


class _RecreatedSpan(SdkSpan):
    """A session root span re-created at its end in another process (the SDK only lets subclasses be built)."""


def _remote(trace_id: int, span_id: int) -> NonRecordingSpan:
    return NonRecordingSpan(SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(1)))
