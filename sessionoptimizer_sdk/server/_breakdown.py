"""Token breakdown of a session by tool or file, for the session page (pure function of events)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..models import EventType, SessionEvent

__all__ = ["BreakdownRow", "by_target"]


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    """Calls to one tool or file, the fresh tokens they billed and the content tokens they returned."""

    kind: str
    target: str
    calls: int
    fresh_tokens: int
    content_tokens: int
    errors: int

    @property
    def total(self) -> int:
        """Fresh plus returned-content tokens (the row's weight in the context)."""
        return self.fresh_tokens + self.content_tokens


def _target(e: SessionEvent) -> tuple[str, str]:
    path = e.data.get("file_path")
    if isinstance(path, str) and path:
        return "file", path
    tool = e.data.get("tool")
    if isinstance(tool, str) and tool:
        return "tool", tool
    if e.event_type in (EventType.AI_RESPONSE, EventType.THINKING):
        model = e.data.get("model")
        return "model", str(model) if model else e.event_type.value
    return "event", e.name or e.event_type.value


def by_target(events: Iterable[SessionEvent], limit: int = 25) -> list[BreakdownRow]:
    """The ``limit`` heaviest tools, files and models of a session, heaviest first."""
    acc: dict[tuple[str, str], list[int]] = {}
    for e in events:
        content = e.data.get("result_tokens")
        content_tokens = (
            content if isinstance(content, int) and not isinstance(content, bool) and content > 0 else 0
        )
        row = acc.setdefault(_target(e), [0, 0, 0, 0])
        row[0] += 1
        row[1] += e.fresh_tokens
        row[2] += content_tokens
        row[3] += int(e.is_error or e.event_type is EventType.ERROR)
    rows = [BreakdownRow(k, t, c, f, ct, err) for (k, t), (c, f, ct, err) in acc.items()]
    rows.sort(key=lambda r: (-r.total, r.kind, r.target))
    return rows[:limit]
