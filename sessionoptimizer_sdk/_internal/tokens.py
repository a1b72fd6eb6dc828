"""Token arithmetic shared by the importers and the span mapping: the size estimate and lenient counts."""

from __future__ import annotations

__all__ = ["CHARS_PER_TOKEN", "count_or_zero", "estimate_tokens"]

#: Characters per token of the size estimate used for tool results (no tokenizer is bundled).
CHARS_PER_TOKEN = 4


def estimate_tokens(chars: int) -> int:
    """Token estimate of ``chars`` characters of text (chars / 4, rounded up)."""
    return (max(chars, 0) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def count_or_zero(value: object) -> int:
    """A token count read from a transcript: a positive number as an int, anything else (bools too) 0."""
    if type(value) is int:  # nearly every count (one type check instead of two isinstance checks)
        return value if value > 0 else 0
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else 0
