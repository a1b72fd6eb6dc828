"""OTLP spans -> store rows through the same ``processing/mapping.py`` the local writer uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, Status, StatusCode

from ... import conventions as c
from ..._internal.ids import validate_session_id
from ...errors import InvalidInputError
from ...models import Session, SessionStatus
from ...processing.mapping import event_row_from_span, session_end_from_span
from ...store._remote import SOURCE_IMPORT, SOURCE_SDK
from .batch import MAX_COUNT, Batch, SessionSeen
from .otlp import attributes, origin_of

__all__ = ["batch_from_traces"]

#: Resource attribute naming a shipped transcript import (``import ... --server``), and its event attributes.
SOURCE_ATTRIBUTE = "sessionoptimizer.source"
SO_EVENT_ID = "sessionoptimizer.event.id"
SO_EVENT_DURATION = "sessionoptimizer.event.duration_ms"
_NO_RESOURCE = Resource.get_empty()
_STATUS = {0: StatusCode.UNSET, 1: StatusCode.OK, 2: StatusCode.ERROR}


def _readable(span: ProtoSpan, attrs: dict[str, object]) -> ReadableSpan | None:
    """The SDK's own ``ReadableSpan`` for a decoded span (None for invalid ids or times)."""
    if len(span.trace_id) != 16 or len(span.span_id) != 8 or span.start_time_unix_nano <= 0:
        return None
    context = SpanContext(
        int.from_bytes(span.trace_id, "big"), int.from_bytes(span.span_id, "big"), is_remote=False
    )
    if not context.is_valid:
        return None
    parent = None
    if len(span.parent_span_id) == 8:
        parent = SpanContext(context.trace_id, int.from_bytes(span.parent_span_id, "big"), is_remote=True)
    return ReadableSpan(
        span.name,
        context=context,
        parent=parent,
        attributes=attrs,  # type: ignore[arg-type]
        start_time=span.start_time_unix_nano,
        end_time=max(span.end_time_unix_nano, span.start_time_unix_nano),
        status=Status(_STATUS.get(span.status.code, StatusCode.UNSET)),
        resource=_NO_RESOURCE,  # the default (Resource.create) runs the resource detectors on every span
    )


def _bounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row with its five token counts capped at ``MAX_COUNT`` (a double attribute can be 1e300)."""
    tokens = row[8:13]
    if max(tokens) <= MAX_COUNT:
        return row
    return (*row[:8], *(min(t, MAX_COUNT) for t in tokens), *row[13:])


def _imported(row: tuple[Any, ...], attrs: Mapping[str, Any]) -> tuple[Any, ...]:
    """A shipped transcript event keeps its importer's id and duration (full transcript precision)."""
    event_id, duration = attrs.get(SO_EVENT_ID), attrs.get(SO_EVENT_DURATION)
    out = list(row)
    if isinstance(event_id, str) and event_id:
        out[0] = event_id[:300]
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        out[4] = float(duration)
    return tuple(out)


def _root_session(span: ReadableSpan, sid: str, *, allow_active: bool = False) -> Session | None:
    """The session a finished root span describes (its end status, task, model, ids)."""
    end = session_end_from_span(span)
    attrs = span.attributes or {}
    agent = attrs.get(c.GEN_AI_AGENT_NAME)
    if end is None or not isinstance(agent, str) or span.start_time is None or span.context is None:
        return None
    try:
        status = SessionStatus.parse(end[1])
    except InvalidInputError:
        return None
    if status is SessionStatus.ACTIVE and not allow_active:
        return None
    task, model = attrs.get(c.SO_SESSION_TASK), attrs.get(c.GEN_AI_REQUEST_MODEL)
    return Session(
        id=sid,
        agent=agent,
        task=task if isinstance(task, str) else "",
        model=model if isinstance(model, str) else "unknown",
        status=status,
        started_at=datetime.fromtimestamp(span.start_time / 1e9, UTC),
        ended_at=None if status is SessionStatus.ACTIVE else datetime.fromtimestamp(end[2], UTC),
        trace_id=f"{span.context.trace_id:032x}",
        span_id=f"{span.context.span_id:016x}",
    )


def batch_from_traces(request: ExportTraceServiceRequest, batch: Batch | None = None) -> Batch:
    """Map every span of a trace export request; spans without a usable session are rejected."""
    batch = batch or Batch()
    for resource_spans in request.resource_spans:
        resource_attrs = attributes(resource_spans.resource.attributes)
        origin = origin_of(resource_attrs)
        source = SOURCE_IMPORT if resource_attrs.get(SOURCE_ATTRIBUTE) == SOURCE_IMPORT else SOURCE_SDK
        for scope_spans in resource_spans.scope_spans:
            for proto in scope_spans.spans:
                attrs = attributes(proto.attributes)
                raw_sid = attrs.get(c.GEN_AI_CONVERSATION_ID)
                if raw_sid is None and "session.id" in attrs:
                    batch.ignored += 1  # Claude Code's beta trace spans: its log events carry the same facts
                    continue
                try:
                    sid = validate_session_id(raw_sid)
                except InvalidInputError:
                    batch.reject("no_session" if raw_sid is None else "invalid_session_id")
                    continue
                span = _readable(proto, attrs)
                if span is None or span.context is None or span.start_time is None:
                    batch.reject("invalid_span")
                    continue
                is_root = attrs.get(c.SO_KIND) == c.KIND_SESSION
                agent = origin.agent
                if is_root:
                    root = _root_session(span, sid, allow_active=source == SOURCE_IMPORT)
                    if root is None:
                        batch.reject("invalid_session_span")
                        continue
                    batch.roots.append(root)
                    agent = root.agent
                else:
                    row = event_row_from_span(span, sid)
                    if row is None:
                        batch.reject("invalid_event_span")
                        continue
                    row = _bounded(row)
                    batch.rows.append(_imported(row, attrs) if source == SOURCE_IMPORT else row)
                    if batch.touch(sid, span.start_time / 1e9, origin.agent):
                        batch.accepted += 1
                        continue
                batch.see(
                    SessionSeen(
                        sid,
                        agent,
                        origin.host,
                        source,
                        span.start_time / 1e9,
                        trace_id=f"{span.context.trace_id:032x}",
                        span_id=f"{span.context.span_id if is_root else (span.parent or span.context).span_id:016x}",
                    )
                )
                batch.accepted += 1
    return batch
