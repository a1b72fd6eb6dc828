"""When orjson's output is byte for byte what the stdlib ``json`` module writes for the same value."""

from __future__ import annotations

import re

from orjson import loads

__all__ = ["same_as_stdlib"]

_EXPONENT = re.compile(rb"\de-").search


def same_as_stdlib(raw: bytes, value: object) -> bool:
    """True if ``raw``, orjson's text of ``value``, is exactly the stdlib's text (same options) of it.

    They differ only on floats under 1e-4 (orjson writes ``0.00001`` and ``1e-7``, the stdlib ``1e-05`` and
    ``1e-07``) and on NaN/infinity (orjson writes ``null``); string escapes and key order are the same. Text
    holding ``0.0000`` or a digit then ``e-`` is not trusted (a string containing them just takes the slower
    stdlib path), and text holding ``null`` only if it reads back equal to ``value`` (a NaN would read back as
    None; a tuple as a list).
    """
    if b"0.0000" in raw or (b"e-" in raw and _EXPONENT(raw) is not None):
        return False
    return b"null" not in raw or bool(loads(raw) == value)
