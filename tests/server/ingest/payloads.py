"""Hand-built OTLP requests for the ingest tests (span and log layouts as the SDK and agents send them)."""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

T0 = 1_764_000_000_000_000_000  # 2025-11-24T16:00:00Z in ns
TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
ROOT = bytes.fromhex("b7ad6b7169203331")


def kv(key: str, value: Any) -> KeyValue:
    """One attribute (str, bool, int or float)."""
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def resource(**attrs: Any) -> Resource:
    """A resource with the given attributes (dots spelled as ``__``)."""
    return Resource(attributes=[kv(k.replace("__", "."), v) for k, v in attrs.items()])


def event_span(sid: str, n: int, *, tokens_in: int = 100, etype: str = "AI_RESPONSE") -> Span:
    """The SDK's span for a logged event: child of the session root, with usage attributes."""
    attrs = {
        "sessionoptimizer.kind": "event",
        "sessionoptimizer.event.type": etype,
        "gen_ai.conversation.id": sid,
        "gen_ai.usage.input_tokens": tokens_in,
        "sessionoptimizer.usage.uncached_input_tokens": tokens_in,
    }
    return Span(
        trace_id=TRACE,
        span_id=(0x1000 + n).to_bytes(8, "big"),
        parent_span_id=ROOT,
        name=f"sessionoptimizer.event {etype}",
        start_time_unix_nano=T0 + n * 1_000_000_000,
        end_time_unix_nano=T0 + n * 1_000_000_000,
        attributes=[kv(k, v) for k, v in attrs.items()],
    )


def root_span(sid: str, agent: str, status: str = "COMPLETED", *, end_s: int = 3600) -> Span:
    """The SDK's session root span as exported when the session ends."""
    attrs = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "gen_ai.conversation.id": sid,
        "gen_ai.request.model": "claude-sonnet-4-5",
        "sessionoptimizer.kind": "session",
        "sessionoptimizer.session.task": "ship it",
        "sessionoptimizer.session.status": status,
    }
    return Span(
        trace_id=TRACE,
        span_id=ROOT,
        name=f"invoke_agent {agent}",
        start_time_unix_nano=T0,
        end_time_unix_nano=T0 + end_s * 1_000_000_000,
        attributes=[kv(k, v) for k, v in attrs.items()],
    )


def traces(*spans: Span, host: str = "machine-a", agent: str | None = "FORGE") -> ExportTraceServiceRequest:
    """A trace export request from one resource."""
    res = resource(host__name=host, **({"sessionoptimizer__agent": agent} if agent else {}))
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=res, scope_spans=[ScopeSpans(spans=list(spans))])]
    )


def log_record(event: str, attrs: dict[str, Any], *, t_s: float, t0: int = T0) -> LogRecord:
    """A log event as Claude Code / Codex emit it: body = event name, ``event.name`` attribute, strings."""
    all_attrs = {"event.name": event.split(".", 1)[1] if event.startswith("claude_code.") else event, **attrs}
    return LogRecord(
        time_unix_nano=t0 + int(t_s * 1e9),
        observed_time_unix_nano=t0 + int(t_s * 1e9),
        body=AnyValue(string_value=event),
        attributes=[kv(k, v) for k, v in all_attrs.items()],
    )


def logs(
    *records: LogRecord, service: str, host: str = "laptop-1", agent: str | None = None
) -> ExportLogsServiceRequest:
    """A logs export request from one resource (``service.name`` as the agent CLI sets it)."""
    extra = {"sessionoptimizer__agent": agent} if agent else {}
    res = resource(service__name=service, host__name=host, **extra)
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=res, scope_logs=[ScopeLogs(log_records=list(records))])]
    )


def otlp_json(message: Any) -> bytes:
    """OTLP/JSON encoding: camelCase names and hex (not base64) trace and span ids."""
    doc = MessageToDict(message)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") else fix(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    return json.dumps(fix(doc)).encode()
