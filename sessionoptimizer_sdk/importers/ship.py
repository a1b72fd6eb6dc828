"""Ship imported transcripts to a team server over OTLP/HTTP (``import ... --server URL``).

Each session's stored events go out as spans in the SDK's own layout, carrying the importer's event ids and
durations, so the server holds exactly what a local import holds. A cursor per (server, session) in the local
store remembers what the server acknowledged: a re-run or a retry sends only what is new (and the server
ignores anything it already has).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from .. import conventions as c
from .._internal.jsonsafe import dumps
from .._internal.log import get_logger
from ..errors import ConfigurationError, ImportSourceError
from ..models import Session, SessionEvent
from ..store.base import Store

__all__ = ["Shipper"]

_log = get_logger(__name__)
_CHUNK = 2_000


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _digest(text: str, size: int) -> bytes:
    raw = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:size]
    return raw if any(raw) else b"\x01" * size


def _ns(event_time: float) -> int:
    return max(1, int(event_time * 1e9))


def _event_span(session: Session, event: SessionEvent, trace_id: bytes, root_id: bytes) -> Span:
    attrs: dict[str, Any] = {
        c.SO_KIND: c.KIND_EVENT,
        c.SO_EVENT_TYPE: event.event_type.value,
        c.GEN_AI_CONVERSATION_ID: session.id,
        c.SO_EVENT_DATA: dumps(dict(event.data)),
        "sessionoptimizer.event.id": event.id,
        c.GEN_AI_USAGE_INPUT_TOKENS: event.tokens_input + event.cache_read_tokens + event.cache_write_tokens,
        c.SO_TOKENS_INPUT_UNCACHED: event.tokens_input,
        c.GEN_AI_USAGE_OUTPUT_TOKENS: event.tokens_output,
        c.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: event.cache_read_tokens,
        c.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: event.cache_write_tokens,
        c.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: event.reasoning_tokens,
    }
    if event.duration_ms is not None:
        attrs["sessionoptimizer.event.duration_ms"] = float(event.duration_ms)
    if event.name:
        attrs[c.GEN_AI_TOOL_NAME] = event.name
    if event.error_type:
        attrs[c.ERROR_TYPE] = event.error_type
    start = _ns(event.timestamp.timestamp())
    return Span(
        trace_id=trace_id,
        span_id=_digest(f"{session.id}\0{event.id}", 8),
        parent_span_id=root_id,
        name=c.event_span_name(event.event_type.value),
        start_time_unix_nano=start,
        end_time_unix_nano=start,
        attributes=[_kv(k, v) for k, v in attrs.items()],
        status=Status(code=Status.STATUS_CODE_ERROR if event.is_error else Status.STATUS_CODE_UNSET),
    )


def _root_span(session: Session, trace_id: bytes, root_id: bytes) -> Span:
    attrs = {
        c.GEN_AI_OPERATION_NAME: c.OP_INVOKE_AGENT,
        c.GEN_AI_AGENT_NAME: session.agent,
        c.GEN_AI_CONVERSATION_ID: session.id,
        c.GEN_AI_REQUEST_MODEL: session.model,
        c.SO_KIND: c.KIND_SESSION,
        c.SO_SESSION_TASK: session.task,
        c.SO_SESSION_STATUS: session.status.value,
    }
    end = session.ended_at or session.last_event_at or session.started_at
    return Span(
        trace_id=trace_id,
        span_id=root_id,
        name=c.session_span_name(session.agent),
        start_time_unix_nano=_ns(session.started_at.timestamp()),
        end_time_unix_nano=_ns(end.timestamp()),
        attributes=[_kv(k, v) for k, v in attrs.items()],
    )


class Shipper:
    """Sends sessions of a local store to ``server`` and remembers what it acknowledged."""

    def __init__(self, store: Store, server: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        if urlsplit(server).scheme not in ("http", "https") or not urlsplit(server).netloc:
            raise ConfigurationError(f"--server must be an http(s) URL, got {server!r}")
        self.store = store
        self.url = server.rstrip("/") + "/v1/traces"
        self.token = token
        self.timeout = timeout
        self.resource = Resource(
            attributes=[_kv("host.name", socket.gethostname()), _kv("sessionoptimizer.source", "import")]
        )

    def ship(self, session_ids: Iterable[str]) -> int:
        """Send what is new in each session; return events sent. Raises ImportSourceError on refusal."""
        sent = 0
        for sid in dict.fromkeys(session_ids):
            session = self.store.find_session(sid)
            if session is not None:
                sent += self._ship_one(session)
        return sent

    def _ship_one(self, session: Session) -> int:
        key = f"ship:{self.url}:{session.id}"
        cursor = self.store.get_cursor(key) or {}
        state = [session.status.value, session.event_count]
        if cursor.get("state") == state:
            return 0
        trace_id, root_id = _digest(session.id, 16), _digest(f"{session.id}\0root", 8)
        events = [e for e in self.store.get_events(session.id) if e.seq > int(cursor.get("seq", 0))]
        sent = 0
        for start in range(0, max(len(events), 1), _CHUNK):
            chunk = events[start : start + _CHUNK]
            spans = [_event_span(session, e, trace_id, root_id) for e in chunk]
            self._post([*spans, _root_span(session, trace_id, root_id)])
            sent += len(chunk)
            if chunk:
                self.store.set_cursor(key, {"seq": max(e.seq for e in chunk), "state": None})
        last_seq = max((e.seq for e in events), default=int(cursor.get("seq", 0)))
        self.store.set_cursor(key, {"seq": last_seq, "state": state})
        return sent

    def _post(self, spans: list[Span]) -> None:
        request = ExportTraceServiceRequest(
            resource_spans=[ResourceSpans(resource=self.resource, scope_spans=[ScopeSpans(spans=spans)])]
        )
        headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = gzip.compress(request.SerializeToString())
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            with contextlib.suppress(ValueError, AttributeError):
                detail = json.loads(detail).get("detail", detail)
            raise ImportSourceError(f"the server refused the import ({exc.code}): {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise ImportSourceError(f"cannot reach the server at {self.url}: {exc}") from None
