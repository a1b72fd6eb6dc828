"""JSON output is always valid JSON: non-finite floats never reach a response."""

from __future__ import annotations

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from sessionoptimizer_sdk.server.serialize import clean, finite

_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(_json_like)
def test_clean_output_always_serialises_without_nan(value):
    """Any JSON-like value, NaN and infinities included, serialises with allow_nan=False after clean()."""
    text = json.dumps(clean(value), allow_nan=False)

    def reject(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    json.loads(text, parse_constant=reject)  # strict parsers accept it: no NaN/Infinity literals


@given(st.floats())
def test_finite_keeps_finite_numbers_and_drops_the_rest(x):
    """finite() returns the rounded number for finite input and None otherwise."""
    out = finite(x)
    if math.isfinite(x):
        assert out == round(x, 2)
    else:
        assert out is None
