"""Guidance from history: an agent's recurring findings turned into short instructions, ranked by money saved.

A pure function of stored reports (no store, no clock, no OTel): the CLI and the REST API load the reports of
the window and hand them over. Each item says what to do differently, how often the waste recurred (in how
many sessions) and what it cost, so the most expensive habit comes first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .report import Finding, OptimizationReport

__all__ = ["AGENT_KINDS", "SETTING_KINDS", "Guidance", "GuidanceItem", "build_guidance"]

Kind = Literal["reread_file", "retry_command", "denied_command", "cache_ttl", "large_read"]
#: Items the agent itself can act on (they go into CLAUDE.md / AGENTS.md).
AGENT_KINDS: Final = frozenset({"reread_file", "retry_command", "denied_command", "large_read"})
#: Items for whoever configures the agent (shown by ``advise`` text/json, not written into the agent's file).
SETTING_KINDS: Final = frozenset({"cache_ttl", "denied_command"})
_DENIED_TITLE = "Allow-list the denied commands"
_DENIED_LIST = re.compile(r"denied by permissions \((?P<what>.*)\);")
#: large_uncompressed_read's advice names the line range the agent actually used.
_USED_RANGE = re.compile(r"^Read lines (?P<range>\d+-\d+) of (?P<name>.+) \(the range used\)")
_SECRET = re.compile(r"(?i)(bearer\s+\S+|(?:token|key|secret|password|passwd|pwd)=\S+|[A-Za-z0-9+/_-]{32,})")


@dataclass(frozen=True, slots=True)
class GuidanceItem:
    """One instruction with the evidence behind it: how often, in how many sessions, and what it cost."""

    kind: Kind
    subject: str
    instruction: str
    sessions: int
    occurrences: int
    waste_tokens: int
    waste_usd: float | None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The item's JSON object."""
        return {
            "kind": self.kind,
            "subject": self.subject,
            "instruction": self.instruction,
            "detail": self.detail,
            "sessions": self.sessions,
            "occurrences": self.occurrences,
            "waste_tokens": self.waste_tokens,
            "waste_usd": None if self.waste_usd is None else round(self.waste_usd, 6),
            "for": "agent" if self.kind in AGENT_KINDS else "settings",
        }


@dataclass(frozen=True, slots=True)
class Guidance:
    """The guidance block for one agent over a window of analyzed sessions."""

    agent: str
    days: int
    sessions_analyzed: int
    items: tuple[GuidanceItem, ...] = ()
    skipped: int = 0

    @property
    def waste_usd(self) -> float | None:
        """The money the listed items cost over the window (None when none of it is priced)."""
        priced = [i.waste_usd for i in self.items if i.waste_usd is not None]
        return round(sum(priced), 6) if priced else None

    def to_dict(self) -> dict[str, Any]:
        """The guidance JSON (served by ``GET /api/guidance/{agent}``)."""
        return {
            "agent": self.agent,
            "days": self.days,
            "sessions_analyzed": self.sessions_analyzed,
            "waste_tokens": sum(i.waste_tokens for i in self.items),
            "waste_usd": self.waste_usd,
            "items": [i.to_dict() for i in self.items],
            "items_below_min_sessions": self.skipped,
        }


@dataclass(slots=True)
class _Acc:
    kind: Kind
    subject: str
    sessions: set[str] = field(default_factory=set)
    occurrences: int = 0
    tokens: int = 0
    usd: float = 0.0
    priced: bool = False
    extra: list[str] = field(default_factory=list)

    def add(self, session_id: str, occurrences: int, tokens: int, usd: float | None) -> None:
        self.sessions.add(session_id)
        self.occurrences += occurrences
        self.tokens += tokens
        if usd is not None:
            self.usd += usd
            self.priced = True


def _rel(path: str, root: str | None) -> str:
    if root:
        prefix = root.rstrip("/") + "/"
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def _redact(text: str) -> str:
    """Drop what looks like a credential from a command line before it reaches a guidance file."""
    return _SECRET.sub("…", text)


def _usd(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def _collect(reports: Iterable[OptimizationReport], root: str | None) -> dict[tuple[str, str], _Acc]:
    acc: dict[tuple[str, str], _Acc] = {}

    def get(kind: Kind, subject: str) -> _Acc:
        return acc.setdefault((kind, subject), _Acc(kind, subject))

    for r in reports:
        for f in r.issues:
            _add_finding(get, r, f, root)
        used = {m["name"]: m["range"] for rec in r.recommendations if (m := _USED_RANGE.match(rec.detail))}
        for f in r.issues:
            name = str(f.details.get("file_path", "")).rsplit("/", 1)[-1]
            if f.type == "large_uncompressed_read" and name in used:
                get("large_read", _rel(str(f.details["file_path"]), root)).extra.append(used[name])
        for rec in r.recommendations:
            if rec.title == _DENIED_TITLE:
                match = _DENIED_LIST.search(rec.detail)
                if match:
                    for what in match.group("what").split(", "):
                        get("denied_command", _redact(what.strip())).add(r.session_id, 1, 0, None)
    return acc


def _add_finding(
    get: Callable[[Kind, str], _Acc], r: OptimizationReport, f: Finding, root: str | None
) -> None:
    d = f.details
    if f.type == "repeated_file_read" and d.get("file_path"):
        a = get("reread_file", _rel(str(d["file_path"]), root))
        a.add(r.session_id, int(d.get("redundant_reads", 1)), f.waste_tokens, f.waste_usd)
        a.extra.extend(str(x) for x in d.get("ranges", ()))
    elif f.type == "retry_loop" and d.get("tool"):
        a = get("retry_command", str(d["tool"]))
        a.add(r.session_id, max(int(d.get("attempts", 1)) - 1, 0), f.waste_tokens, f.waste_usd)
    elif f.type == "cache_miss" and f.avoidable and _ttl_avoidable(d):
        get("cache_ttl", "prompt cache").add(
            r.session_id, int(d.get("misses", 1)), f.waste_tokens, f.waste_usd
        )
    elif f.type == "large_uncompressed_read" and d.get("file_path"):
        a = get("large_read", _rel(str(d["file_path"]), root))
        a.add(r.session_id, int(d.get("reads", 1)), f.waste_tokens, f.waste_usd)


def _ttl_avoidable(details: Mapping[str, Any]) -> bool:
    """A 5-minute TTL expiry the 1-hour TTL would have avoided (``idle``: reports before the TTL causes)."""
    cause = details.get("cause")
    return cause == "idle" or (cause == "ttl_expired" and details.get("ttl") == "5m")


def _item(a: _Acc) -> GuidanceItem:
    n, k = len(a.sessions), a.occurrences
    usd = round(a.usd, 6) if a.priced else None
    cost = f"{_usd(usd)}, {a.tokens:,} tokens" if a.tokens else "no token cost counted"
    where = f"{k} time(s) in {n} session(s)"
    if a.kind == "reread_file":
        ranges = ", ".join(dict.fromkeys(a.extra[:4])) or "all"
        text = (
            f"`{a.subject}`: its content stays in your context after you read it. Read it again only after "
            f"it was edited; for more of it, read only lines you have not read yet."
        )
        detail = f"re-read unchanged {where} (lines {ranges}); {cost}"
    elif a.kind == "retry_command":
        text = (
            f"When a `{a.subject}` call fails, read the error and change the call before running it again; "
            "never repeat an identical failing call more than once."
        )
        detail = f"identical failing retries {where}; {cost}"
    elif a.kind == "denied_command":
        text = f"`{a.subject}` is denied by the permission settings: do not run it; ask the user instead."
        detail = f"denied {where}; allow-list it in the agent's permission settings if it is needed"
    elif a.kind == "cache_ttl":
        text = (
            "The prompt cache expired during idle gaps longer than its 5-minute TTL: use the 1-hour cache "
            "TTL for sessions with long pauses, or keep them warm."
        )
        detail = f"cache rewritten after idle {where}; {cost}"
    else:
        ranges = ", ".join(dict.fromkeys(a.extra[:4]))
        text = (
            f"`{a.subject}` is large: read only the lines you need (offset/limit, or a search) instead of the "
            "whole file" + (f"; the lines used were {ranges}." if ranges else ".")
        )
        detail = f"read whole {where}; {cost}"
    return GuidanceItem(a.kind, a.subject, text, n, k, a.tokens, usd, detail)


def build_guidance(
    agent: str,
    reports: Sequence[OptimizationReport],
    *,
    days: int,
    min_sessions: int = 1,
    max_items: int = 8,
    root: str | None = None,
) -> Guidance:
    """Guidance for ``agent`` from its final reports: items seen in ``min_sessions``+ sessions, costliest first.

    ``root`` shortens file paths under it to relative ones (the project folder of the CLAUDE.md/AGENTS.md).
    """
    mine = [r for r in reports if r.agent == agent and not r.provisional]
    items = [_item(a) for a in _collect(mine, root).values()]
    kept = [i for i in items if i.sessions >= min_sessions]
    kept.sort(key=lambda i: (-(i.waste_usd or 0.0), -i.waste_tokens, -i.occurrences, i.kind, i.subject))
    return Guidance(agent, days, len(mine), tuple(kept[:max_items]), skipped=len(items) - len(kept))
