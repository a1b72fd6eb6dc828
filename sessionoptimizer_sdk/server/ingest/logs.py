"""OTLP log events of Claude Code (``claude_code.*``) and Codex CLI (``codex.*``) -> store rows.

Schemas followed: Claude Code "Monitoring" docs (code.claude.com/docs/en/monitoring-usage, Claude Code 2.x) and
Codex ``docs/config.md`` ``[otel]`` section (codex-rs 0.5x). Attribute values arrive as strings or numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from ..._internal.ids import validate_session_id
from ..._internal.jsonsafe import dumps
from ...errors import InvalidInputError
from ...importers._classify import classify_error
from ...importers._claude_tools import READ_TOOLS as _READ_TOOLS
from ...importers._claude_tools import WRITE_TOOLS as _WRITE_TOOLS
from ...importers._codex_tools import file_read_of, shell_command
from ...models import ErrorKind, EventType
from ...store._remote import SOURCE_CLAUDE_CODE, SOURCE_CODEX
from .batch import MAX_COUNT, Batch, SessionSeen
from .otlp import Origin, any_value, attributes, origin_of

__all__ = ["batch_from_logs"]

#: Protobuf (and protobuf JSON) strings are valid UTF-8, so the data needs no sanitising before JSON.
_compact = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _json(data: Mapping[str, Any]) -> str:
    """Compact JSON of an event's data; a non-finite number from a tool's arguments goes through sanitising."""
    try:
        return _compact(data)
    except ValueError:
        return dumps(dict(data))


def _num(value: object) -> int:
    """A non-negative int (at most ``MAX_COUNT``) from a number or numeric string (0 otherwise)."""
    if isinstance(value, bool):
        return 0
    number = value if isinstance(value, int | float) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return 0
    if number is None or not math.isfinite(number):
        return 0
    return min(max(0, int(number)), MAX_COUNT)


def _float(value: object) -> float | None:
    """A finite float from a number or numeric string (None otherwise)."""
    out: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        out = float(value)
    elif isinstance(value, str):
        try:
            out = float(value)
        except ValueError:
            return None
    return out if out is not None and math.isfinite(out) else None


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _json_object(value: object) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _row(
    event_id: str,
    sid: str,
    etype: EventType,
    ts: float,
    data: Mapping[str, Any],
    *,
    duration_ms: float | None = None,
    name: str | None = None,
    error_type: str | None = None,
    usage: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0),
) -> tuple[Any, ...]:
    """An event row in store column order."""
    return (
        event_id,
        sid,
        etype.value,
        ts,
        duration_ms,
        name,
        int(error_type is not None),
        error_type,
        *usage,
        _json(data),
    )


def _claude_tool(sid: str, eid: str, ts: float, a: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """A ``tool_result``: one tool/file event, plus an ERROR event when it failed or was rejected."""
    tool = str(a.get("tool_name") or "unknown")
    params = _json_object(a.get("tool_parameters"))
    args = _json_object(a.get("tool_input"))  # only with OTEL_LOG_TOOL_DETAILS=1
    data: dict[str, Any] = {"tool": tool, "source": SOURCE_CLAUDE_CODE}
    if isinstance(a.get("tool_use_id"), str):  # newer Claude Code versions (2.1+)
        data["tool_call_id"] = a["tool_use_id"]
    if args:
        data["args_sha256"] = hashlib.sha256(dumps(args).encode()).hexdigest()
    etype = EventType.TOOL_CALL
    if tool in _READ_TOOLS and args.get(_READ_TOOLS[tool]):
        etype = EventType.FILE_READ
        data.update(file_path=args.get(_READ_TOOLS[tool]), offset=args.get("offset"), limit=args.get("limit"))
    elif tool in _WRITE_TOOLS and args.get(_WRITE_TOOLS[tool]):
        etype = EventType.FILE_WRITE
        data["file_path"] = args.get(_WRITE_TOOLS[tool])
    size = _num(a.get("tool_result_size_bytes"))
    if size:
        data["result_tokens"] = (size + 3) // 4
    failed = not _truthy(a.get("success"))
    rejected = str(a.get("decision_type") or a.get("decision") or "").lower() == "reject"
    if failed:
        data["failed"] = True
    rows = [_row(eid, sid, etype, ts, data, duration_ms=_float(a.get("duration_ms")), name=tool)]
    if failed or rejected:
        message = str(a.get("error") or "")
        command = params.get("bash_command") or args.get("command")
        kind = (
            ErrorKind.USER_REJECTION
            if rejected
            else classify_error(message, command=command if isinstance(command, str) else None)
        )
        err = {"message": f"{tool} failed ({kind.value})", "error_kind": kind.value, "tool": tool}
        rows.append(_row(eid + "e", sid, EventType.ERROR, ts, err, name=tool, error_type=kind.value))
    return rows


def _claude(name: str, sid: str, eid: str, ts: float, a: Mapping[str, Any]) -> list[tuple[Any, ...]] | None:
    """Rows for one Claude Code event (None: an event we accept but do not store)."""
    if name == "api_request":
        usage = (
            _num(a.get("input_tokens")),
            _num(a.get("output_tokens")),
            _num(a.get("cache_read_tokens")),
            _num(a.get("cache_creation_tokens")),
            0,
        )
        data = {"model": a.get("model"), "cost_usd": _float(a.get("cost_usd")), "source": SOURCE_CLAUDE_CODE}
        return [
            _row(
                eid,
                sid,
                EventType.AI_RESPONSE,
                ts,
                data,
                duration_ms=_float(a.get("duration_ms")),
                usage=usage,
            )
        ]
    if name == "tool_result":
        return _claude_tool(sid, eid, ts, a)
    if name == "user_prompt":
        return [_row(eid, sid, EventType.USER_MESSAGE, ts, {"chars": _num(a.get("prompt_length"))})]
    if name == "api_error":
        data = {"message": f"API error {a.get('status_code') or ''}".strip(), "model": a.get("model")}
        return [_row(eid, sid, EventType.ERROR, ts, data, error_type="api_error")]
    return None  # tool_decision and newer events: the tool_result carries the decision


def _codex(name: str, sid: str, eid: str, ts: float, a: Mapping[str, Any]) -> list[tuple[Any, ...]] | None:
    """Rows for one Codex event (None: accepted, not stored)."""
    if name == "sse_event":
        if a.get("event.kind") != "response.completed":
            return None
        total_in, cached = _num(a.get("input_token_count")), _num(a.get("cached_token_count"))
        output = _num(a.get("output_token_count"))
        usage = (
            max(0, total_in - cached),
            output,
            cached,
            0,
            min(_num(a.get("reasoning_token_count")), output),
        )
        return [
            _row(
                eid,
                sid,
                EventType.AI_RESPONSE,
                ts,
                {"model": a.get("model"), "source": SOURCE_CODEX},
                duration_ms=_float(a.get("duration_ms")),
                usage=usage,
            )
        ]
    if name == "tool_result":
        tool = str(a.get("tool_name") or "unknown")
        args = _json_object(a.get("arguments"))
        command = shell_command(args)
        data: dict[str, Any] = {"tool": tool, "tool_call_id": a.get("call_id"), "source": SOURCE_CODEX}
        if isinstance(a.get("arguments"), str):
            data["args_sha256"] = hashlib.sha256(str(a["arguments"]).encode()).hexdigest()
        text = a.get("output")
        if isinstance(text, str):
            data["result_tokens"] = (len(text) + 3) // 4
            data["result_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        read = file_read_of(command)
        etype = EventType.FILE_READ if read else EventType.TOOL_CALL
        data.update(read or {})
        failed = not _truthy(a.get("success"))
        rows = [_row(eid, sid, etype, ts, data, duration_ms=_float(a.get("duration_ms")), name=tool)]
        if failed:
            kind = classify_error(text if isinstance(text, str) else "", command=command)
            err = {"message": f"{tool} failed ({kind.value})", "error_kind": kind.value, "tool": tool}
            rows.append(_row(eid + "e", sid, EventType.ERROR, ts, err, name=tool, error_type=kind.value))
        return rows
    if name == "user_prompt":
        return [_row(eid, sid, EventType.USER_MESSAGE, ts, {"chars": _num(a.get("prompt_length"))})]
    if name == "api_request" and (a.get("error.message") or _num(a.get("http.response.status_code")) >= 400):
        data = {"message": f"API error {a.get('http.response.status_code') or ''}".strip()}
        return [_row(eid, sid, EventType.ERROR, ts, data, error_type="api_error")]
    return None


def _event_name(record: LogRecord, attrs: Mapping[str, Any]) -> str:
    name = attrs.get("event.name") or getattr(record, "event_name", "") or any_value(record.body)
    return name if isinstance(name, str) else ""


def _one(record: LogRecord, origin: Origin, batch: Batch) -> None:
    attrs = attributes(record.attributes)
    full = _event_name(record, attrs)
    if full.startswith("codex.") or "conversation.id" in attrs:
        source, sid_key, name = SOURCE_CODEX, "conversation.id", full.removeprefix("codex.")
    else:
        source, sid_key, name = SOURCE_CLAUDE_CODE, "session.id", full.removeprefix("claude_code.")
    raw_sid = attrs.get(sid_key)
    try:
        sid = validate_session_id(raw_sid)
    except InvalidInputError:
        batch.reject("no_session" if raw_sid is None else "invalid_session_id")
        return
    ts_ns: int = record.time_unix_nano or record.observed_time_unix_nano
    if ts_ns <= 0:
        batch.reject("no_timestamp")
        return
    eid = hashlib.sha256(sid.encode() + record.SerializeToString(deterministic=True)).hexdigest()[:24]
    mapper = _codex if source == SOURCE_CODEX else _claude
    rows = mapper(name, sid, eid, ts_ns / 1e9, attrs)
    model = attrs.get("model")
    model = model if isinstance(model, str) else None
    if not batch.touch(sid, ts_ns / 1e9, origin.agent, model):
        batch.see(SessionSeen(sid, origin.agent, origin.host, source, ts_ns / 1e9, model=model))
    batch.accepted += 1
    if rows is None:
        batch.ignored += 1
        return
    batch.rows.extend(rows)


def batch_from_logs(request: ExportLogsServiceRequest, batch: Batch | None = None) -> Batch:
    """Map every log record of a logs export request (records without a session id are rejected)."""
    batch = batch or Batch()
    for resource_logs in request.resource_logs:
        origin = origin_of(attributes(resource_logs.resource.attributes))
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                _one(record, origin, batch)
    return batch
