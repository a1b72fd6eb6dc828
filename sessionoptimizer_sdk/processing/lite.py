"""A span fast path for when nobody but our own processor can see the spans.

When the TracerProvider's only span processor is ours (the private provider, no exporter) and its sampler,
limits and id generator are the SDK defaults, a full SDK span (attribute validation under a lock, sampler call,
processor fan-out, ~15 us) buys nothing: :class:`LiteTracer` then starts :class:`LiteSpan` objects with the same
ids, trace flags, parentage and attributes, and hands them straight to our processor's ``on_end``. The moment
another processor is added (an exporter, an application's provider) it falls back to the real tracer, so what
other observers see never changes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.types import Attributes, AttributeValue

from .._internal.randomids import new_span_id, new_trace_id
from .provider import PrivateIdGenerator

__all__ = ["LiteSpan", "LiteTracer"]

_UNSET = Status(StatusCode.UNSET)
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_SAMPLED_RANDOM = TraceFlags(TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID)


class LiteSpan(trace.Span):
    """A recording span that only our processor sees; also readable like a finished SDK ``ReadableSpan``."""

    __slots__ = ("_context", "_processor", "attributes", "end_time", "name", "parent", "start_time", "status")

    def __init__(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        attributes: dict[str, Any],
        start_time: int,
        processor: SpanProcessor,
    ) -> None:
        self.name = name
        self._context = context
        self.parent = parent
        self.attributes = attributes
        self.start_time = start_time
        self.end_time: int | None = None
        self.status = _UNSET
        self._processor = processor

    @property
    def context(self) -> SpanContext:
        """The span's context (``ReadableSpan`` spelling)."""
        return self._context

    def get_span_context(self) -> SpanContext:
        """The span's context."""
        return self._context

    def is_recording(self) -> bool:
        """True until the span ends (as for an SDK span)."""
        return self.end_time is None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        """Set one attribute (ignored once ended)."""
        if self.end_time is None:
            self.attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        """Set several attributes (ignored once ended)."""
        if self.end_time is None:
            self.attributes.update(attributes)

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """Set the status with the SDK's precedence rules (OK is final; UNSET never overrides)."""
        if self.end_time is not None or self.status.status_code is StatusCode.OK:
            return
        new = status if isinstance(status, Status) else Status(status, description)
        if new.status_code is not StatusCode.UNSET:
            self.status = new

    def update_name(self, name: str) -> None:
        """Rename the span."""
        if self.end_time is None:
            self.name = name

    def add_event(self, name: str, attributes: Attributes = None, timestamp: int | None = None) -> None:
        """Span events are not stored; accepted for API compatibility."""

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        """Exception events are not stored (the error type is); accepted for API compatibility."""

    def end(self, end_time: int | None = None) -> None:
        """Finish the span and hand it to our processor (once)."""
        if self.end_time is not None:
            return
        self.end_time = end_time if end_time is not None else time.time_ns()
        self._processor.on_end(self)  # type: ignore[arg-type]  # duck-typed ReadableSpan

    def __repr__(self) -> str:
        return f"LiteSpan({self.name!r}, span_id={self._context.span_id:016x})"


def _is_default_sampler(sampler: object) -> bool:
    """True for the SDK's default ``ParentBased(ALWAYS_ON)``: sampled unless the parent is not."""
    return (
        type(sampler) is ParentBased
        and getattr(sampler, "_root", None) is ALWAYS_ON
        and getattr(sampler, "_remote_parent_sampled", None) is ALWAYS_ON
        and getattr(sampler, "_local_parent_sampled", None) is ALWAYS_ON
        and getattr(sampler, "_remote_parent_not_sampled", None) is ALWAYS_OFF
        and getattr(sampler, "_local_parent_not_sampled", None) is ALWAYS_OFF
    )


class LiteTracer(trace.Tracer):
    """Starts :class:`LiteSpan` objects while ``processor`` is the provider's only processor, else SDK spans."""

    def __init__(self, provider: TracerProvider, processor: SpanProcessor, fallback: trace.Tracer) -> None:
        self._provider = provider
        self._processor = processor
        self._fallback = fallback
        self._solo = (processor,)
        limits = getattr(provider, "_span_limits", None)
        self._eligible = (
            not getattr(provider, "_disabled", True)
            and _is_default_sampler(getattr(provider, "sampler", None))
            and type(getattr(provider, "id_generator", None)) in (RandomIdGenerator, PrivateIdGenerator)
            and limits is not None
            and limits.max_span_attribute_length is None
            and (limits.max_span_attributes or 0) >= 64
        )
        self._new_span_id = new_span_id
        self._new_trace_id = new_trace_id

    def active(self) -> bool:
        """True while the fast path applies (our processor alone on an SDK-default provider)."""
        multi = getattr(self._provider, "_active_span_processor", None)
        return self._eligible and getattr(multi, "_span_processors", None) == self._solo

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        """A LiteSpan with SDK-identical ids and flags, or the fallback tracer's span."""
        parent = trace.get_current_span(context).get_span_context()
        if (parent.is_valid and not parent.trace_flags.sampled) or not self.active():
            return self._fallback.start_span(
                name, context, kind, attributes, links, start_time, record_exception, set_status_on_exception
            )
        if parent.is_valid:
            trace_id = parent.trace_id
            flags = _SAMPLED_RANDOM if parent.trace_flags.random_trace_id else _SAMPLED
            parent_ctx: SpanContext | None = parent
        else:
            trace_id = self._new_trace_id()
            flags = _SAMPLED_RANDOM
            parent_ctx = None
        span_context = SpanContext(
            trace_id,
            self._new_span_id(),
            is_remote=False,
            trace_flags=flags,
            trace_state=parent_ctx.trace_state if parent_ctx is not None else None,
        )
        return LiteSpan(
            name,
            span_context,
            parent_ctx,
            dict(attributes) if attributes else {},
            start_time if start_time is not None else time.time_ns(),
            self._processor,
        )

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        """Delegated to the SDK tracer (the recorder never uses it)."""
        return self._fallback.start_as_current_span(*args, **kwargs)
