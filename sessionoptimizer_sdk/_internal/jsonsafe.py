"""Event ``data`` after ``validate.data``: sanitised for SQLite, content redacted unless opted in."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from orjson import OPT_PASSTHROUGH_DATACLASS, OPT_PASSTHROUGH_DATETIME, OPT_PASSTHROUGH_SUBCLASS
from orjson import dumps as _orjson_dumps
from orjson import loads as _orjson_loads

__all__ = ["CONTENT_KEYS", "dumps", "redact_content", "sanitize"]

#: Keys whose values are prompt, file or tool content: stored only as size + hash unless content capture is on.
CONTENT_KEYS = frozenset(
    {"content", "prompt", "completion", "text", "messages", "arguments", "args", "result", "output", "input"}
)
_MAX_INT = 2**63 - 1
#: Types orjson would encode its own way (ISO datetimes, dataclass fields) go to the stdlib path instead, as before.
_PASSTHROUGH = OPT_PASSTHROUGH_DATACLASS | OPT_PASSTHROUGH_DATETIME | OPT_PASSTHROUGH_SUBCLASS


def _size_and_hash(value: Any) -> dict[str, Any]:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=repr)
    clean = sanitize(text)
    import hashlib  # on first use: hashlib loads OpenSSL, a noticeable share of the SDK's import time

    return {"redacted": True, "chars": len(clean), "sha256": hashlib.sha256(clean.encode()).hexdigest()}


def redact_content(data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace content-bearing values by their size and sha256 (the default: content is opt-in)."""
    return {k: (_size_and_hash(v) if k in CONTENT_KEYS else v) for k, v in data.items()}


def sanitize(value: Any) -> Any:
    """Make a JSON value safe for SQLite: lone surrogates replaced, huge ints and non-finite floats turned to text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_MAX_INT - 1 <= value <= _MAX_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {sanitize(str(k)): sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    return sanitize(repr(value))


def dumps(data: Mapping[str, Any]) -> str:
    """Serialise sanitised data compactly; never raises for values produced by :func:`sanitize`."""
    try:  # fast path: orjson refuses lone surrogates, > 64-bit ints, non-str keys and unknown types (-> sanitize)
        raw = _orjson_dumps(data, option=_PASSTHROUGH)
    except (TypeError, ValueError):
        raw = None
    # orjson writes NaN/inf as null (sanitize keeps them as text): a null is safe when the text reads back equal
    # (None stays None; a NaN or inf would read back as None and differ), one C-speed check instead of sanitize
    if raw is not None and (b"null" not in raw or _orjson_loads(raw) == data):
        return raw.decode()
    return json.dumps(sanitize(data), separators=(",", ":"), ensure_ascii=False)
