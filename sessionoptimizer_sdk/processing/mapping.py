"""Pure mapping from finished spans to store operations (runs on the writer thread, never the host's)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode
from orjson import dumps as _orjson_dumps

from .. import conventions as c
from .._internal.tokens import MAX_TOKENS, estimate_tokens
from ..models import EventType

if TYPE_CHECKING:
    from .lite import LiteSpan

__all__ = ["event_row_from_span", "session_end_from_span", "usage_from_attributes"]


_INPUT_KEYS = (c.GEN_AI_USAGE_INPUT_TOKENS, c.GEN_AI_USAGE_PROMPT_TOKENS_LEGACY, c.OI_PROMPT_TOKENS)
_OUTPUT_KEYS = (c.GEN_AI_USAGE_OUTPUT_TOKENS, c.GEN_AI_USAGE_COMPLETION_TOKENS_LEGACY, c.OI_COMPLETION_TOKENS)
_CACHE_READ_KEYS = (
    c.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    c.GEN_AI_USAGE_CACHE_READ_LEGACY,
    c.OI_CACHE_READ_TOKENS,
)
_CACHE_WRITE_KEYS = (
    c.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
    c.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    c.GEN_AI_USAGE_CACHE_CREATION_LEGACY,
    c.OI_CACHE_WRITE_TOKENS,
)
_REASONING_KEYS = (c.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, c.OI_REASONING_TOKENS)
_ANY_USAGE_KEY = frozenset(
    (
        *_INPUT_KEYS,
        *_OUTPUT_KEYS,
        *_CACHE_READ_KEYS,
        *_CACHE_WRITE_KEYS,
        *_REASONING_KEYS,
        c.SO_TOKENS_INPUT_UNCACHED,
    )
)
_NO_USAGE = (0, 0, 0, 0, 0)
_EVENT_TYPES = frozenset(t.value for t in EventType)  # a stored type must read back as a member
_MAX_COUNT = MAX_TOKENS  # absurd (finite) values are capped, never fatal
_stdlib_compact = json.JSONEncoder(separators=(",", ":")).encode  # == json.dumps(..., separators=(",", ":"))


def _compact(data: dict[str, Any]) -> str:
    """Compact JSON of a row's ``data`` (strings and ints from span attributes): orjson, ~4x the stdlib encoder.

    The stdlib keeps the last word on what orjson refuses (lone surrogates, > 64-bit ints).
    """
    try:
        return _orjson_dumps(data).decode()
    except (TypeError, ValueError):
        return _stdlib_compact(data)


def _first_int(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> int:
    for key in keys:
        value = attrs.get(key)
        if type(value) is int and value >= 0:
            return min(value, _MAX_COUNT)
        if type(value) is float and 0 <= value < math.inf:  # rejects inf and nan (another tool's bad span)
            return int(min(value, _MAX_COUNT))
    return 0


def usage_from_attributes(attrs: Mapping[str, Any]) -> tuple[int, int, int, int, int]:
    """(uncached input, output, cache read, cache write, reasoning) from any supported attribute dialect.

    The conventions' ``input_tokens`` includes cached tokens; our own spans also carry the uncached figure.
    """
    if _ANY_USAGE_KEY.isdisjoint(attrs):  # most tool spans: skip a dozen lookups
        return _NO_USAGE
    total_in = _first_int(attrs, _INPUT_KEYS)
    cache_read = _first_int(attrs, _CACHE_READ_KEYS)
    cache_write = _first_int(attrs, _CACHE_WRITE_KEYS)
    uncached = attrs.get(c.SO_TOKENS_INPUT_UNCACHED)
    if type(uncached) is not int or uncached < 0:
        uncached = max(0, total_in - cache_read - cache_write)
    output = _first_int(attrs, _OUTPUT_KEYS)
    reasoning = min(_first_int(attrs, _REASONING_KEYS), output) if output else 0
    return uncached, output, cache_read, cache_write, reasoning


_TOOL_DATA_KEYS = (
    ("args_sha256", c.SO_TOOL_ARGS_HASH),
    ("result_sha256", c.SO_TOOL_RESULT_HASH),
    ("file_path", c.SO_FILE_PATH),
    ("error_kind", c.SO_ERROR_KIND),
)


def _tool_data(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The documented ``data`` keys of a decorated tool call, from its span attributes."""
    data: dict[str, Any] = {"tool": attrs.get(c.GEN_AI_TOOL_NAME)}
    for key, attr in _TOOL_DATA_KEYS:
        value = attrs.get(attr)
        if value is not None:
            data[key] = value
    chars = attrs.get(c.SO_TOOL_RESULT_CHARS)
    if isinstance(chars, int):
        data["result_chars"] = chars
        data["result_tokens"] = estimate_tokens(chars)
    return data


def event_row_from_span(
    span: ReadableSpan | LiteSpan, session_id: str | None = None
) -> tuple[Any, ...] | None:
    """Event row (store column order) for one of our event/tool spans, or a foreign model-call span."""
    raw_attrs = span.attributes
    # one copy into a plain dict: lookups through the SDK's MappingProxy(BoundedAttributes) cost ~10x more
    attrs: Mapping[str, Any] = raw_attrs if type(raw_attrs) is dict else dict(raw_attrs or {})
    ctx = span.context
    if ctx is None or span.start_time is None:
        return None
    sid = session_id or attrs.get(c.GEN_AI_CONVERSATION_ID)
    if not isinstance(sid, str):
        return None
    kind = attrs.get(c.SO_KIND)
    raw_type = attrs.get(c.SO_EVENT_TYPE)
    if kind is None:
        raw_type = EventType.AI_RESPONSE.value  # a foreign model-call span (instrumented LLM client)
    elif not isinstance(raw_type, str) or raw_type not in _EVENT_TYPES:  # a type no reader knows: unusable
        return None
    uncached, output, cache_read, cache_write, reasoning = usage_from_attributes(attrs)
    data_raw = attrs.get(c.SO_EVENT_DATA)
    if kind is None:
        data: dict[str, Any] = {"span_name": span.name}
        model = (
            attrs.get(c.GEN_AI_RESPONSE_MODEL)
            or attrs.get(c.GEN_AI_REQUEST_MODEL)
            or attrs.get(c.OI_MODEL_NAME)
        )
        if isinstance(model, str):
            data["model"] = model
        provider = attrs.get(c.GEN_AI_PROVIDER_NAME) or attrs.get(c.GEN_AI_SYSTEM_DEPRECATED)
        if isinstance(provider, str):
            data["provider"] = provider
        data_raw = _compact(data)
    elif kind == c.KIND_TOOL:
        data_raw = _compact(_tool_data(attrs))
    end = span.end_time or span.start_time
    duration_ms = (end - span.start_time) / 1e6 if kind != c.KIND_EVENT else None
    is_error = span.status.status_code is StatusCode.ERROR
    error_type = attrs.get(c.ERROR_TYPE)
    name = attrs.get(c.GEN_AI_TOOL_NAME)
    return (
        f"{ctx.span_id:016x}",
        sid,
        raw_type,
        span.start_time / 1e9,
        duration_ms,
        name if isinstance(name, str) else None,
        int(is_error),
        error_type if isinstance(error_type, str) else None,
        uncached,
        output,
        cache_read,
        cache_write,
        reasoning,
        data_raw if isinstance(data_raw, str) else "{}",
    )


def session_end_from_span(span: ReadableSpan | LiteSpan) -> tuple[str, str, float] | None:
    """(session id, final status, ended_at) for a finished session root span."""
    attrs = span.attributes or {}
    sid = attrs.get(c.GEN_AI_CONVERSATION_ID)
    status = attrs.get(c.SO_SESSION_STATUS)
    if not isinstance(sid, str) or not isinstance(status, str) or span.end_time is None:
        return None
    return sid, status, span.end_time / 1e9
