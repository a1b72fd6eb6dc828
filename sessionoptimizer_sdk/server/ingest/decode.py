"""Decode an OTLP/HTTP request body: size and item limits, gzip/deflate, protobuf or JSON (hex ids, camelCase)."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import DecodeError, Message

from .errors import IngestRefused

__all__ = ["Limits", "decode_message", "read_body"]

M = TypeVar("M", bound=Message)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-request limits: the body as sent and once decompressed (a gzip bomb stops at the latter), and items.

    ``max_items`` bounds the spans, log records or metric data points of one request, counted together with
    the resource, scope and metric entries holding them: OTel SDKs export at most 512 per request by
    default and the Collector's batch processor 8,192, so 65,536 leaves 8x headroom while refusing a small
    body of millions of empty records before it costs gigabytes and a minute of CPU.
    """

    max_body_bytes: int = 8 * 1024 * 1024
    max_decompressed_bytes: int = 32 * 1024 * 1024
    max_items: int = 65_536


def _too_large(limit: int, what: str) -> IngestRefused:
    return IngestRefused(413, "payload_too_large", f"the {what} exceeds {limit} bytes")


async def read_body(
    chunks: AsyncIterator[bytes], content_length: str | None, encoding: str | None, limits: Limits
) -> bytes:
    """The request body read within ``limits`` and decompressed (``gzip``, ``deflate`` or identity)."""
    if (
        content_length is not None
        and content_length.isdigit()
        and int(content_length) > limits.max_body_bytes
    ):
        raise _too_large(limits.max_body_bytes, "request body")
    raw = bytearray()
    async for chunk in chunks:
        raw += chunk
        if len(raw) > limits.max_body_bytes:
            raise _too_large(limits.max_body_bytes, "request body")
    enc = (encoding or "identity").strip().lower()
    if enc == "identity" or not enc:
        return bytes(raw)
    if enc not in ("gzip", "deflate"):
        raise IngestRefused(415, "unsupported_encoding", f"Content-Encoding {enc!r} is not gzip or deflate")
    return _inflate(bytes(raw), enc, limits.max_decompressed_bytes)


def _inflate(data: bytes, enc: str, limit: int) -> bytes:
    """``data`` decompressed (at most ``limit`` bytes): every stream complete, nothing after the last one.

    A gzip body may hold several members (RFC 1952, as ``gzip.decompress`` reads them); a stream cut short
    (no end marker or trailer) or followed by other bytes is refused, never stored in part.
    """
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if enc == "gzip" else zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            raise IngestRefused(400, "bad_encoding", f"the body is not valid {enc}: {exc}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise _too_large(limit, "decompressed body")
        if not inflater.eof:
            raise IngestRefused(
                400, "bad_encoding", f"the {enc} stream is truncated (no end of stream or trailer)"
            )
        rest = inflater.unused_data
        if not rest:
            return bytes(out)
        if enc != "gzip" or not rest.startswith(_GZIP_MAGIC):
            raise IngestRefused(400, "bad_encoding", f"{len(rest)} bytes follow the end of the {enc} stream")


def media_type(content_type: str | None) -> str:
    """``application/x-protobuf`` or ``application/json`` from a Content-Type header; 415 otherwise."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in (PROTOBUF, "application/protobuf"):
        return PROTOBUF
    if media == JSON:
        return JSON
    raise IngestRefused(
        415, "unsupported_media_type", f"Content-Type must be {PROTOBUF} or {JSON}, got {media or 'none'!r}"
    )


def decode_message(body: bytes, media: str, message: M, max_items: int) -> M:
    """Parse ``body`` into ``message`` (an empty request message); 400 when undecodable, 413 over ``max_items``.

    Protobuf items are counted from the wire before parsing; JSON ones before any protobuf object is built.
    """
    levels = _ITEM_LEVELS[message.DESCRIPTOR.full_name]
    try:
        if media == PROTOBUF:
            if len(body) > 2 * max_items:  # an item takes at least 2 bytes: shorter bodies cannot exceed
                _count_wire(body, 0, len(body), levels, _Budget(max_items))
            message.ParseFromString(body)
        else:
            document = json.loads(body)
            if not isinstance(document, dict):
                raise ValueError("the JSON body is not an object")
            _count_json(document, levels, _Budget(max_items))
            _hex_ids_to_base64(document)
            ParseDict(document, message, ignore_unknown_fields=True)
    except IngestRefused:
        raise  # over the item limit (an IngestRefused is also a ValueError)
    except (DecodeError, ParseError, ValueError, TypeError, RecursionError) as exc:
        kind = "protobuf" if media == PROTOBUF else "OTLP JSON"
        raise IngestRefused(400, "undecodable", f"the body is not a valid {kind} request: {exc}") from None
    return message


@dataclass(frozen=True, slots=True)
class _Level:
    """A message field whose entries count as items: its protobuf number, its JSON names, the levels inside."""

    number: int
    names: tuple[str, ...]
    inner: tuple[_Level, ...] = ()


def _export(resource: str, scope: str, leaf: tuple[_Level, ...]) -> tuple[_Level, ...]:
    """The levels of an ``Export*ServiceRequest``: field 1 resource entries, their field 2 scope entries."""
    return (_Level(1, _names(resource), (_Level(2, _names(scope), leaf),)),)


def _names(proto_name: str) -> tuple[str, ...]:
    """A field's OTLP/JSON name (lowerCamelCase) and its protobuf name, both accepted by ``ParseDict``."""
    head, *rest = proto_name.split("_")
    camel = head + "".join(part.title() for part in rest)
    return (camel, proto_name) if rest else (camel,)


_POINTS = (_Level(1, _names("data_points")),)
_METRIC_DATA = tuple(
    _Level(number, _names(name), _POINTS)
    for number, name in (
        (5, "gauge"),
        (7, "sum"),
        (9, "histogram"),
        (10, "exponential_histogram"),
        (11, "summary"),
    )
)
#: Where the items of each request type are: spans, log records, and metrics with their data points.
_ITEM_LEVELS: dict[str, tuple[_Level, ...]] = {
    "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest": _export(
        "resource_spans", "scope_spans", (_Level(2, _names("spans")),)
    ),
    "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest": _export(
        "resource_logs", "scope_logs", (_Level(2, _names("log_records")),)
    ),
    "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest": _export(
        "resource_metrics", "scope_metrics", (_Level(2, _names("metrics"), _METRIC_DATA),)
    ),
}


class _Budget:
    """The items left for one request; 413 once they run out."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, n: int) -> None:
        """Count ``n`` more items."""
        self.left -= n
        if self.left < 0:
            raise IngestRefused(
                413,
                "payload_too_large",
                f"the request holds more than {self.limit} items (spans, log records or metric data points "
                "with their resource and scope entries); send smaller batches",
            )


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The protobuf varint at ``pos`` and the position after it."""
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise DecodeError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _count_wire(buf: bytes, pos: int, end: int, levels: tuple[_Level, ...], budget: _Budget) -> None:
    """Count every field of the message in ``buf[pos:end]`` as an item, descending into ``levels``.

    Reads only tags and lengths (no message objects), so a body of millions of empty records is refused
    after ``max_items`` steps instead of being parsed into gigabytes first.
    """
    inner = {level.number: level.inner for level in levels}
    while pos < end:
        budget.take(1)
        tag, pos = _varint(buf, pos)
        wire = tag & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise DecodeError("a field runs past the end of its message")
            nested = inner.get(tag >> 3)
            if nested:
                _count_wire(buf, pos, pos + size, nested, budget)
            pos += size
        else:
            raise DecodeError(f"unsupported wire type {wire}")
        if pos > end:
            raise DecodeError("a field runs past the end of its message")


def _count_json(node: Any, levels: tuple[_Level, ...], budget: _Budget) -> None:
    """Count the keys of an OTLP/JSON object and the entries of its item lists, descending into ``levels``."""
    if not isinstance(node, dict):
        return
    budget.take(len(node))
    for level in levels:
        for name in level.names:
            entries = node.get(name)
            if isinstance(entries, dict):  # a singular message (a metric's gauge, sum, ...)
                entries = [entries]
            if not isinstance(entries, list):
                continue
            budget.take(len(entries))
            if level.inner:
                for entry in entries:
                    _count_json(entry, level.inner, budget)


_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


def _hex_ids_to_base64(node: Any) -> None:
    """Turn OTLP/JSON's hex trace and span ids into the base64 protobuf JSON expects, in place.

    In place: a copy of the document would double the memory a large body takes.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise ValueError(f"{key} {value!r} is not a hex string") from None
            else:
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for value in node:
            _hex_ids_to_base64(value)
