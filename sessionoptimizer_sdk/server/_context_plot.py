"""Data of the session page's context plot: cache read, cache write, fresh input and output per model call.

Marks (cache misses by cause, compactions, subagent calls, re-read files) link to their findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..models import EventType, SessionEvent

__all__ = ["context_plot"]

_CALLS = frozenset({EventType.AI_RESPONSE, EventType.THINKING, EventType.TOKEN_USAGE})
_SUBAGENT_TOOLS = frozenset({"Task", "Agent"})
#: Marks drawn at most (a session with thousands of re-reads would hide the context lines).
MAX_MARKS = 300


def _tool_name(e: SessionEvent) -> str:
    """The event's tool name; ``data.tool`` counts only as text (recorded data may hold a list or object)."""
    tool = e.data.get("tool")
    return tool if isinstance(tool, str) and tool else e.name or ""


def _finding_marks(
    issues: Sequence[Mapping[str, Any]], by_id: Mapping[str, SessionEvent]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    marks: list[dict[str, Any]] = []
    compaction_href: dict[str, str] = {}
    for i, f in enumerate(issues):
        kind = f.get("type")
        details = f.get("details") or {}
        href = f"#finding-{i}"
        if kind == "cache_miss":
            cause = str(details.get("cause") or "")
            ttl = details.get("ttl")
            label = f"cache miss: {cause.replace('_', ' ')}" + (f" ({ttl} TTL)" if ttl else "")
            if cause == "compaction":
                compaction_href["any"] = href
            for ev in f.get("evidence") or ():
                e = by_id.get(str(ev))
                if e is not None:
                    marks.append(
                        {
                            "t": e.timestamp.timestamp(),
                            "kind": "cache_miss",
                            "label": label,
                            "href": href,
                            "cause": cause,
                            "event": e.id,
                        }
                    )
        elif kind == "repeated_file_read":
            name = str(details.get("file_path") or "").rsplit("/", 1)[-1]
            for ev in f.get("evidence") or ():
                e = by_id.get(str(ev))
                if e is not None and e.event_type is EventType.FILE_READ:
                    marks.append(
                        {
                            "t": e.timestamp.timestamp(),
                            "kind": "reread",
                            "label": f"read of {name}",
                            "href": href,
                            "event": e.id,
                        }
                    )
    return marks, compaction_href


def context_plot(events: Sequence[SessionEvent], report: Mapping[str, Any]) -> dict[str, Any]:
    """``{"t", "cache_read", "cache_write", "input", "output", "marks"}`` for the page's plot (JSON-safe)."""
    calls = [
        e
        for e in events
        if e.event_type in _CALLS
        and not e.data.get("sidechain")
        and (e.tokens_input or e.cache_read_tokens or e.cache_write_tokens or e.tokens_output)
    ]
    by_id = {e.id: e for e in events}
    marks, compaction_href = _finding_marks(report.get("issues") or (), by_id)
    for e in events:
        if e.event_type is EventType.COMPACTION:
            marks.append(
                {
                    "t": e.timestamp.timestamp(),
                    "kind": "compaction",
                    "label": "compaction",
                    "href": compaction_href.get("any", f"#ev-{e.id}"),
                    "event": e.id,
                }
            )
        elif e.event_type is EventType.TOOL_CALL and _tool_name(e) in _SUBAGENT_TOOLS:
            marks.append(
                {
                    "t": e.timestamp.timestamp(),
                    "kind": "subagent",
                    "label": "subagent call",
                    "href": "#subagents" if report.get("subagents") else f"#ev-{e.id}",
                    "event": e.id,
                }
            )
    marks.sort(key=lambda m: (m["t"], m["kind"]))
    return {
        "t": [e.timestamp.timestamp() for e in calls],
        "cache_read": [e.cache_read_tokens for e in calls],
        "cache_write": [e.cache_write_tokens for e in calls],
        "input": [e.tokens_input for e in calls],
        "output": [e.tokens_output for e in calls],
        "marks": marks[:MAX_MARKS],
    }
