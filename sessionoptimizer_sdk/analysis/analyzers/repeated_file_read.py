"""repeated_file_read: content returned again unchanged (same file version, overlapping lines).

Reads are keyed on path + line range + file version: a write/edit of the path (or a compaction of the context,
or a changed content hash) starts a new version, so re-reading after it is not waste; a different line range
is not waste; only the overlapping lines are. Waste is the redundant tokens, plus their carry-over: the cache
reads of that redundant content by later model calls, until a compaction drops it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_int, get_str
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType

from ._common import MAX_EVIDENCE, fmt_tokens, norm_path, severity_for, short_name
from ._lines import LineSet

__all__ = ["RepeatedFileReadAnalyzer"]

#: Read tools that return at most ``AnalysisConfig.read_default_line_cap`` lines when given no limit.
_CAPPED_READ_TOOLS = frozenset({"Read"})


@dataclass(slots=True)
class _PathState:
    lines: LineSet = field(default_factory=LineSet)
    read_ids: list[str] = field(default_factory=list)
    hashes: dict[tuple[float, float], str] = field(default_factory=dict)
    tokens: int = 0
    line_count: float = 0.0

    def density(self) -> float | None:
        return self.tokens / self.line_count if self.line_count else None


@dataclass(slots=True)
class _Redundant:
    index: int
    event_id: str
    tokens: int
    start: float
    end: float
    prior: list[str]
    estimated: bool


def _line_range(offset: int | None, limit: int | None) -> tuple[float, float]:
    start = float(max(offset or 1, 1))
    return start, (start + limit - 1 if limit else math.inf)


class RepeatedFileReadAnalyzer:
    """Finds re-reads of unchanged, already-read lines and counts their tokens and carry-over."""

    name = "repeated_file_read"
    order = 10

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per file whose content was returned again unchanged."""
        by_path = self._redundant_reads(ctx)
        if not by_path:
            return []
        carry = self._carry_over(ctx, by_path)
        drafts = []
        for path, items in by_path.items():
            claims = [ctx.content_claim(ctx.events[r.index], r.tokens) for r in items]
            carried = sum(carry.get(r.event_id, 0) for r in items)
            if carried:
                claims.append(Claim(items[-1].event_id, "carry", carried))
            redundant = sum(r.tokens for r in items)
            evidence = list(dict.fromkeys(i for r in items for i in (*r.prior[-3:], r.event_id)))
            ranges = [_fmt_range(r.start, r.end) for r in items]
            drafts.append(
                Draft(
                    type=self.name,
                    severity=severity_for(redundant),
                    description=(
                        f"{short_name(path)} was read again unchanged {len(items)} time(s): "
                        f"{fmt_tokens(redundant)} redundant tokens"
                        + (
                            f", carried as {fmt_tokens(carried)} cache-read tokens by later calls"
                            if carried
                            else ""
                        )
                    ),
                    evidence=tuple(evidence[:MAX_EVIDENCE]),
                    claims=tuple(claims),
                    details={
                        "file_path": path,
                        "redundant_reads": len(items),
                        "redundant_tokens": redundant,
                        "carryover_cache_read_tokens": carried,
                        "ranges": ranges[:MAX_EVIDENCE],
                        "estimated": any(r.estimated for r in items),
                    },
                    recommendation=RecommendationDraft(
                        title=f"Reuse the content of {short_name(path)} already in context",
                        detail=(
                            f"Lines {', '.join(dict.fromkeys(ranges[:5]))} of {path} were already in the context "
                            "from an earlier "
                            "read and the file had not changed; refer to that output instead of reading it again "
                            "(re-read only after an edit, or read just the new line range)."
                        ),
                    ),
                )
            )
        return drafts

    def _redundant_reads(self, ctx: AnalysisContext) -> dict[str, list[_Redundant]]:
        states: dict[str, _PathState] = {}
        found: dict[str, list[_Redundant]] = {}
        for i, e in enumerate(ctx.events):
            t = e.event_type
            if t is EventType.COMPACTION:
                states.clear()
                continue
            if t is EventType.FILE_WRITE:
                raw = get_str(e.data, "file_path")
                if raw:
                    states.pop(norm_path(raw), None)
                continue
            if t is EventType.TOOL_CALL:  # a shell command that changed files (sed -i, formatter, git, mv)
                if e.data.get("modifies_all"):
                    states.clear()
                modified = e.data.get("modifies")
                for raw in modified if isinstance(modified, list) else ():
                    if isinstance(raw, str):
                        states.pop(norm_path(raw), None)
                continue
            if t is not EventType.FILE_READ or e.is_error:
                continue
            raw = get_str(e.data, "file_path")
            if raw is None:
                continue
            path = norm_path(raw)
            state = states.setdefault(path, _PathState())
            tail = get_int(e.data, "tail_lines")
            if tail is not None:  # ``tail -n N``: redundant only when the whole file was already read
                tokens = ctx.content[i]
                if state.read_ids and state.lines.covers_tail(1) and tokens > 0:
                    found.setdefault(path, []).append(
                        _Redundant(i, e.id, tokens, math.inf, math.inf, list(state.read_ids), False)
                    )
                state.read_ids.append(e.id)
                continue
            limit = get_int(e.data, "limit")
            if limit is None and get_str(e.data, "tool") in _CAPPED_READ_TOOLS:
                limit = ctx.config.read_default_line_cap  # Claude Code's Read stops at 2,000 lines
            start, end = _line_range(get_int(e.data, "offset"), limit)
            tokens = ctx.content[i]
            digest = get_str(e.data, "content_sha256")
            if digest is not None:
                known = state.hashes.get((start, end))
                if known is not None and known != digest:  # changed by something we did not see
                    state = states[path] = _PathState()
                state.hashes[(start, end)] = digest
            redundant, estimated = self._overlap(state, start, end, tokens)
            if redundant > 0:
                found.setdefault(path, []).append(
                    _Redundant(i, e.id, redundant, start, end, list(state.read_ids), estimated)
                )
            state.lines.add(start, end)
            state.read_ids.append(e.id)
            if not math.isinf(end) and tokens:
                state.tokens += tokens
                state.line_count += end - start + 1
        return found

    @staticmethod
    def _overlap(state: _PathState, start: float, end: float, tokens: int) -> tuple[int, bool]:
        """Redundant tokens of a read of ``[start, end]`` and whether the figure is an estimate."""
        if not state.read_ids or tokens <= 0:
            return 0, False
        covered = state.lines.covered(start, end)
        if math.isinf(end):
            if state.lines.covers_tail(start):
                return tokens, False
            density = state.density()
            if density is None or density <= 0:
                return 0, False
            finite = state.lines.covered(start, start + tokens / density - 1)
            return min(tokens, round(finite * density)), True
        lines = end - start + 1
        return min(tokens, round(tokens * min(covered, lines) / lines)), False

    @staticmethod
    def _carry_over(ctx: AnalysisContext, by_path: dict[str, list[_Redundant]]) -> dict[str, int]:
        """Cache-read tokens each redundant read cost later calls (shared fairly when several are active)."""
        reds = {r.index: r for items in by_path.values() for r in items}
        active = 0.0
        pending: list[_Redundant] = []
        open_reads: list[tuple[_Redundant, float]] = []  # (read, prefix F when it became active)
        closed: dict[str, float] = {}
        prefix = 0.0
        events = ctx.events
        calls = set(ctx.model_calls)
        for i, e in enumerate(events):
            if i in reds:
                pending.append(reds[i])
            elif e.event_type is EventType.COMPACTION:
                for r, f0 in open_reads:
                    closed[r.event_id] = closed.get(r.event_id, 0.0) + r.tokens * (prefix - f0)
                open_reads, pending, active = [], [], 0.0
            elif i in calls:
                if active > 0:
                    prefix += min(active, e.cache_read_tokens) / active
                for r in pending:
                    open_reads.append((r, prefix))
                    active += r.tokens
                pending = []
        for r, f0 in open_reads:
            closed[r.event_id] = closed.get(r.event_id, 0.0) + r.tokens * (prefix - f0)
        return {k: int(v) for k, v in closed.items() if v >= 1}


def _fmt_range(start: float, end: float) -> str:
    if math.isinf(start):
        return "tail"
    return f"{int(start)}-end" if math.isinf(end) else f"{int(start)}-{int(end)}"
