"""JSON forms of sessions, events and alerts shared by the REST API and ``--format json`` CLI output.

Pure functions of the model values (no Starlette import), so the CLI can use them without the server extra.
Every float passes through :func:`finite` so the output is always valid JSON (no NaN or infinity).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..models import Session, SessionEvent, TokenUsage

__all__ = ["alert_to_dict", "clean", "event_to_dict", "finite", "iso", "session_to_dict", "usage_to_dict"]


def finite(value: float | None, digits: int = 2) -> float | None:
    """``value`` rounded, or None when it is missing, NaN or infinite."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def iso(value: datetime | float | None) -> str | None:
    """An aware datetime or epoch seconds as an ISO-8601 UTC string."""
    if value is None:
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        value = datetime.fromtimestamp(value, UTC)
    return value.isoformat()


def clean(value: Any) -> Any:
    """Recursively replace non-finite floats by None so ``json.dumps(allow_nan=False)`` never fails."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def usage_to_dict(usage: TokenUsage) -> dict[str, int]:
    """Token kinds plus the fresh and total sums."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "fresh_tokens": usage.fresh_tokens,
        "total_tokens": usage.total_tokens,
    }


def session_to_dict(
    session: Session, *, efficiency_score: float | None = None, provisional: bool | None = None
) -> dict[str, Any]:
    """A session as the API shows it; ``duration`` is whole seconds (to now while ACTIVE), as in the spec."""
    return {
        "id": session.id,
        "agent": session.agent,
        "task": session.task,
        "model": session.model,
        "status": session.status.value,
        "started_at": iso(session.started_at),
        "ended_at": iso(session.ended_at),
        "last_event_at": iso(session.last_event_at),
        "duration": int(session.duration_seconds),
        "tokens": session.tokens.total_tokens,
        "usage": usage_to_dict(session.tokens),
        "event_count": session.event_count,
        "efficiency_score": finite(efficiency_score),
        "provisional": provisional,
        "metadata": clean(dict(session.metadata)),
    }


def event_to_dict(event: SessionEvent) -> dict[str, Any]:
    """An event with its billed tokens and its ``data`` (content already redacted at recording time)."""
    return {
        "id": event.id,
        "session_id": event.session_id,
        "seq": event.seq,
        "event_type": event.event_type.value,
        "timestamp": iso(event.timestamp),
        "name": event.name,
        "duration_ms": finite(event.duration_ms, 3),
        "is_error": event.is_error,
        "error_type": event.error_type,
        "tokens_input": event.tokens_input,
        "tokens_output": event.tokens_output,
        "cache_read_tokens": event.cache_read_tokens,
        "cache_write_tokens": event.cache_write_tokens,
        "reasoning_tokens": event.reasoning_tokens,
        "data": clean(dict(event.data)),
    }


def alert_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored alert row (``store.list_alerts``) with its time as ISO-8601."""
    return {
        "id": int(row["id"]),
        "session_id": str(row["session_id"]),
        "agent": str(row["agent"]),
        "rule": str(row["rule"]),
        "priority": str(row["priority"]),
        "message": str(row["message"]),
        "created_at": iso(float(row["created_at"])),
        "payload": clean(row.get("payload") or {}),
    }
