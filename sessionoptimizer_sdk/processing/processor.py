"""The span processor that turns finished spans into stored session events.

It never does I/O on the host's thread: ``on_end`` only queues the finished span for the background writer.
It never raises into the host either (the OTel SDK does not guard processors): every fault is logged once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context, get_value
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from .. import conventions as c
from .._internal.safety import Guard
from ._writer import BatchWriter, ForeignSpan

__all__ = ["SessionSpanProcessor"]

_USAGE_KEYS = (
    c.GEN_AI_USAGE_INPUT_TOKENS,
    c.GEN_AI_USAGE_OUTPUT_TOKENS,
    c.GEN_AI_USAGE_PROMPT_TOKENS_LEGACY,
    c.GEN_AI_USAGE_COMPLETION_TOKENS_LEGACY,
    c.OI_PROMPT_TOKENS,
    c.OI_COMPLETION_TOKENS,
)
_ON_START = Guard("processor.on_start")
_ON_END = Guard("processor.on_end")
_SHUTDOWN = Guard("processor.shutdown")
_FORCE_FLUSH = Guard("processor.force_flush")


class SessionSpanProcessor(SpanProcessor):
    """Routes our session/event/tool spans, and model-call spans made inside a session, to the writer.

    ``sessions`` is the set of session ids this optimizer records (shared with the recorder), so two optimizers
    attached to one TracerProvider never store each other's spans. ``current_scope`` returns the session the
    calling code runs in (anything with an ``id``; the recorder passes its own): foreign spans started inside it
    are attributed to it.
    """

    def __init__(
        self,
        writer: BatchWriter,
        sessions: dict[str, Any],
        *,
        current_scope: Callable[[], Any] = lambda: None,
    ) -> None:
        self._writer = writer
        self._sessions = sessions
        self._current_scope = current_scope
        self._foreign: dict[int, str] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Remember which session a foreign span (e.g. an instrumented LLM call) was started in.

        Spans started with instrumentation suppressed (our own background threads' I/O) belong to no session.
        """
        with _ON_START:
            attrs = span.attributes
            if attrs is not None and c.SO_KIND in attrs:
                return
            if get_value(_SUPPRESS_INSTRUMENTATION_KEY, parent_context):
                return
            scope = self._current_scope()
            if scope is not None and scope.id in self._sessions:
                self._foreign[span.context.span_id] = scope.id

    def on_end(self, span: ReadableSpan) -> None:
        """Queue our spans; queue foreign spans that carry token usage and belong to one of our sessions."""
        with _ON_END:
            attrs = span.attributes or {}
            if c.SO_KIND in attrs:
                if attrs.get(c.GEN_AI_CONVERSATION_ID) in self._sessions:
                    self._writer.put(span)
                return
            ctx = span.context
            sid = self._foreign.pop(ctx.span_id, None) if ctx is not None else None
            if sid is None:
                claimed = attrs.get(c.GEN_AI_CONVERSATION_ID) or attrs.get(c.OI_SESSION_ID)
                sid = claimed if isinstance(claimed, str) and claimed in self._sessions else None
            if sid is not None and any(key in attrs for key in _USAGE_KEYS):
                self._writer.put(ForeignSpan(span, sid))

    def shutdown(self) -> None:
        """Flush and stop the writer (bounded)."""
        with _SHUTDOWN:
            self._writer.close(timeout=5.0)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Block until every queued span is stored, or the timeout passes."""
        with _FORCE_FLUSH:
            return self._writer.flush(timeout_millis / 1000, report=True)
        return False
