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

from .._internal.secrets import REDACTED, redact_secrets
from .report import Finding, OptimizationReport

__all__ = [
    "AGENT_KINDS",
    "REDACTED",
    "SETTING_KINDS",
    "Guidance",
    "GuidanceItem",
    "build_guidance",
    "inline_text",
    "redact_secrets",
]

Kind = Literal["reread_file", "retry_command", "repeat_call", "denied_command", "cache_ttl", "large_read"]
#: Items the agent itself can act on (they go into CLAUDE.md / AGENTS.md).
AGENT_KINDS: Final = frozenset(
    {"reread_file", "retry_command", "repeat_call", "denied_command", "large_read"}
)
#: Items for whoever configures the agent (shown by ``advise`` text/json, not written into the agent's file).
SETTING_KINDS: Final = frozenset({"cache_ttl", "denied_command"})
_DENIED_TITLE = "Allow-list the denied commands"
#: The denied calls a high_error_rate recommendation lists (a command may span lines: a heredoc).
_DENIED_LIST = re.compile(r"denied by permissions \((?P<what>.*)\);", re.DOTALL)
#: large_uncompressed_read's advice names the line range the agent actually used.
_USED_RANGE = re.compile(r"^Read lines (?P<range>\d+-\d+) of (?P<name>.+) \(the range used\)")
#: Characters that could end a line, hide text or break the block: shown as escapes.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|<!--|-->")
_BACKTICKS = re.compile(r"`+")


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


def _escape(match: re.Match[str]) -> str:
    r"""One unsafe character or comment delimiter as an escape (``\n``, ``\x1b``, ``\x3c!--``)."""
    found = match.group()
    if found == "<!--":
        return "\\x3c!--"
    if found == "-->":
        return "--\\x3e"
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if found in named:
        return named[found]
    code = ord(found)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inline_text(text: str) -> str:
    r"""``text`` from session data made safe for one line of CLAUDE.md / AGENTS.md and of a terminal.

    Control, line-separator, zero-width and bidirectional characters become escapes (``\n``, ``\x1b``,
    ``\u202e``), and HTML comment delimiters become ``\x3c!--`` / ``--\x3e``, so the text can neither start
    a line nor open, close or forge the guidance block's markers.
    """
    return _UNSAFE.sub(_escape, text)


def _code(text: str) -> str:
    """``text`` made inline-safe as a Markdown code span whose fence is longer than any backtick run in it."""
    safe = inline_text(text)
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(safe)), default=0) + 1)
    pad = " " if safe.startswith(("`", " ")) or safe.endswith(("`", " ")) else ""
    return f"{fence}{pad}{safe}{pad}{fence}"


def _usd(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def _collect(reports: Iterable[OptimizationReport], root: str | None) -> dict[tuple[str, str], _Acc]:
    acc: dict[tuple[str, str], _Acc] = {}

    def get(kind: Kind, subject: str) -> _Acc:
        return acc.setdefault((kind, subject), _Acc(kind, subject))

    for r in reports:
        owners: dict[str, _Acc] = {}  # evidence id -> the item that already counts that call
        repeats: list[Finding] = []
        for f in r.issues:
            if f.type == "retry_loop" and f.details.get("rule") == "identical":
                repeats.append(f)  # after the others: it may repeat calls they already count
                continue
            a = _add_finding(get, r, f, root)
            if a is not None and a.kind in ("reread_file", "retry_command"):
                for event_id in f.evidence:
                    owners.setdefault(event_id, a)
        for f in repeats:
            _add_repeat(get, r, f, owners)
        used = {m["name"]: m["range"] for rec in r.recommendations if (m := _USED_RANGE.match(rec.detail))}
        for f in r.issues:
            name = str(f.details.get("file_path", "")).rsplit("/", 1)[-1]
            if f.type == "large_uncompressed_read" and name in used:
                get("large_read", _path(str(f.details["file_path"]), root)).extra.append(used[name])
        for rec in r.recommendations:
            if rec.title == _DENIED_TITLE:
                match = _DENIED_LIST.search(rec.detail)
                if match:
                    for what in match.group("what").split(", "):
                        get("denied_command", redact_secrets(what.strip())).add(r.session_id, 1, 0, None)
    return acc


def _path(path: str, root: str | None) -> str:
    """A file path as an item names it: relative to ``root`` when under it, secret-shaped names redacted."""
    return "/".join(redact_secrets(part, blobs=False) for part in _rel(path, root).split("/"))


def _add_finding(
    get: Callable[[Kind, str], _Acc], r: OptimizationReport, f: Finding, root: str | None
) -> _Acc | None:
    """Count one finding into its item (None for a finding that gives no guidance)."""
    d = f.details
    if f.type == "repeated_file_read" and d.get("file_path"):
        a = get("reread_file", _path(str(d["file_path"]), root))
        a.add(r.session_id, int(d.get("redundant_reads", 1)), f.waste_tokens, f.waste_usd)
        a.extra.extend(str(x) for x in d.get("ranges", ()))
        return a
    if f.type == "retry_loop" and d.get("tool"):
        a = get("retry_command", redact_secrets(str(d["tool"])))
        a.add(r.session_id, _retries(d), f.waste_tokens, f.waste_usd)
        return a
    if f.type == "cache_miss" and f.avoidable and _ttl_avoidable(d):
        a = get("cache_ttl", "prompt cache")
        a.add(r.session_id, int(d.get("misses", 1)), f.waste_tokens, f.waste_usd)
        return a
    if f.type == "large_uncompressed_read" and d.get("file_path"):
        a = get("large_read", _path(str(d["file_path"]), root))
        a.add(r.session_id, int(d.get("reads", 1)), f.waste_tokens, f.waste_usd)
        return a
    return None


def _retries(details: Mapping[str, Any]) -> int:
    """The repeated calls of a retry_loop finding: every attempt after the first."""
    return max(int(details.get("attempts", 1)) - 1, 0)


def _add_repeat(
    get: Callable[[Kind, str], _Acc], r: OptimizationReport, f: Finding, owners: Mapping[str, _Acc]
) -> None:
    """Count a retry_loop finding of rule ``identical`` (same call, same result) once.

    When its calls are already counted by another item of the session (a failing run of the same calls, or
    the re-reads of an unchanged file), only its cost joins that item; otherwise it is a ``repeat_call`` item.
    """
    if not f.details.get("tool"):
        return
    owner = next((owners[e] for e in f.evidence if e in owners), None)
    if owner is None:
        get("repeat_call", redact_secrets(str(f.details["tool"]))).add(
            r.session_id, _retries(f.details), f.waste_tokens, f.waste_usd
        )
    else:
        owner.add(r.session_id, 0, f.waste_tokens, f.waste_usd)


def _ttl_avoidable(details: Mapping[str, Any]) -> bool:
    """A 5-minute TTL expiry the 1-hour TTL would have avoided (``idle``: reports before the TTL causes)."""
    cause = details.get("cause")
    return cause == "idle" or (cause == "ttl_expired" and details.get("ttl") == "5m")


def _cost(tokens: int, usd: float | None) -> str:
    """What an item cost: USD and tokens; USD alone when it has no tokens (cache reads carried over); or none."""
    if tokens:
        return f"{_usd(usd)}, {tokens:,} tokens"
    if usd:
        return f"{_usd(usd)} (no fresh tokens counted)"
    return "no token cost counted"


def _ranges(extra: Sequence[str]) -> str:
    """The first four ranges, each once, made single-line."""
    return ", ".join(dict.fromkeys(inline_text(x) for x in extra[:4]))


def _item(a: _Acc) -> GuidanceItem:
    n, k = len(a.sessions), a.occurrences
    usd = round(a.usd, 6) if a.priced else None
    cost = _cost(a.tokens, usd)
    where = f"{k} time(s) in {n} session(s)"
    subject = _code(a.subject)
    if a.kind == "reread_file":
        text = (
            f"{subject}: its content stays in your context after you read it. Read it again only after "
            f"it was edited; for more of it, read only lines you have not read yet."
        )
        detail = f"re-read unchanged {where} (lines {_ranges(a.extra) or 'all'}); {cost}"
    elif a.kind == "retry_command":
        text = (
            f"When a {subject} call fails, read the error and change the call before running it again; "
            "never repeat an identical failing call more than once."
        )
        detail = f"failing retries {where}; {cost}"
    elif a.kind == "repeat_call":
        text = (
            f"Do not repeat an identical {subject} call: its result is already in your context; use it, "
            "and call again only after something it depends on changed."
        )
        detail = f"identical calls with an unchanged result repeated {where}; {cost}"
    elif a.kind == "denied_command":
        text = f"{subject} is denied by the permission settings: do not run it; ask the user instead."
        detail = f"denied {where}; allow-list it in the agent's permission settings if it is needed"
    elif a.kind == "cache_ttl":
        text = (
            "The prompt cache expired during idle gaps longer than its 5-minute TTL: use the 1-hour cache "
            "TTL for sessions with long pauses, or keep them warm."
        )
        detail = f"cache rewritten after idle {where}; {cost}"
    else:
        ranges = _ranges(a.extra)
        text = (
            f"{subject} is large: read only the lines you need (offset/limit, or a search) instead of the "
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
