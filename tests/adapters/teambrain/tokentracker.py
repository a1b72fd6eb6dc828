"""Fake TokenTracker: cumulative usage counters, as the real tool reports them."""

from __future__ import annotations

from typing import Any

_usage: dict[str, Any] = {"model": "opus", "input_tokens": 0, "output_tokens": 0}


def add_usage(input_tokens: int, output_tokens: int, model: str = "opus") -> None:
    """Simulate a model call TokenTracker observed."""
    _usage["model"] = model
    _usage["input_tokens"] += input_tokens
    _usage["output_tokens"] += output_tokens


def reset(input_tokens: int = 0, output_tokens: int = 0) -> None:
    """Zero the counters (TokenTracker restarted)."""
    _usage.update(model="opus", input_tokens=input_tokens, output_tokens=output_tokens)


def get_current_usage() -> dict[str, Any]:
    """Cumulative usage since TokenTracker started."""
    return dict(_usage)
