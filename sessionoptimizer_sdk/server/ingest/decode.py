"""Decode an OTLP/HTTP request body: size limits, gzip/deflate, protobuf or JSON (hex ids, camelCase)."""

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


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-request size limits: the body as sent and once decompressed (a gzip bomb stops at the latter)."""

    max_body_bytes: int = 8 * 1024 * 1024
    max_decompressed_bytes: int = 32 * 1024 * 1024


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
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if enc == "gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(bytes(raw), limits.max_decompressed_bytes + 1)
    except zlib.error as exc:
        raise IngestRefused(400, "bad_encoding", f"the body is not valid {enc}: {exc}") from None
    if len(out) > limits.max_decompressed_bytes or inflater.unconsumed_tail:
        raise _too_large(limits.max_decompressed_bytes, "decompressed body")
    return out


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


def decode_message(body: bytes, media: str, message: M) -> M:
    """Parse ``body`` into ``message`` (an empty request message); 400 when it cannot be decoded."""
    try:
        if media == PROTOBUF:
            message.ParseFromString(body)
        else:
            document = json.loads(body)
            if not isinstance(document, dict):
                raise ValueError("the JSON body is not an object")
            ParseDict(_hex_ids_to_base64(document), message, ignore_unknown_fields=True)
    except (DecodeError, ParseError, ValueError, TypeError, RecursionError) as exc:
        kind = "protobuf" if media == PROTOBUF else "OTLP JSON"
        raise IngestRefused(400, "undecodable", f"the body is not a valid {kind} request: {exc}") from None
    return message


_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"})


def _hex_ids_to_base64(node: Any) -> Any:
    """OTLP/JSON carries trace and span ids as hex strings where protobuf JSON expects base64."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                try:
                    out[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError:
                    raise ValueError(f"{key} {value!r} is not a hex string") from None
            else:
                out[key] = _hex_ids_to_base64(value)
        return out
    if isinstance(node, list):
        return [_hex_ids_to_base64(v) for v in node]
    return node
