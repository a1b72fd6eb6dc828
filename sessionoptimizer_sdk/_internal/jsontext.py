"""When orjson's output is byte for byte what the stdlib ``json`` module writes for the same value."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["same_as_stdlib"]

_SMALLEST_PLAIN = (
    1e-4  # from here up both write a float the same way (repr); below, orjson writes 0.00001, 1e-7
)
_ATOMS = (str, int, bool, type(None))


def same_as_stdlib(value: Any) -> bool:
    """True if orjson writes ``value`` exactly as the stdlib does (same key order, indent and separators).

    They differ only on floats under 1e-4 (orjson writes ``0.00001`` and ``1e-7``, the stdlib ``1e-05`` and
    ``1e-07``), on NaN/infinity (orjson writes ``null``) and on types the stdlib does not know (dataclasses,
    datetimes, subclasses). Walking the value costs per item, not per byte, so a 5 KB string is one check.
    """
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind in _ATOMS:
            continue
        if kind is float:
            if not math.isfinite(item) or (item != 0.0 and abs(item) < _SMALLEST_PLAIN):
                return False
        elif kind is dict:
            for k in item:  # a loop, not any(generator): one generator per dict cost more than the test
                if type(k) is not str:
                    return False
            push(item.values())
        elif kind is list or kind is tuple:
            push(item)
        else:
            return False
    return True
