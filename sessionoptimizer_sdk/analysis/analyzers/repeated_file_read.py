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
from typing import NamedTuple

from sessionoptimizer_sdk.analysis.base import Claim, Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import MODEL_CALL_TYPES, AnalysisContext, get_int, get_str
from sessionoptimizer_sdk.analysis.facts import EventFacts, content_claim, fact_claim, facts_of
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType, SessionEvent

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens, norm_path, severity_for, short_name
from ._lines import LineSet

__all__ = ["RepeatedFileReadAnalyzer"]

#: Read tools that return at most ``AnalysisConfig.read_default_line_cap`` lines when given no limit.
_CAPPED_READ_TOOLS = frozenset({"Read"})
_READ, _WRITE, _CALL, _COMPACTION = (
    EventType.FILE_READ,
    EventType.FILE_WRITE,
    EventType.TOOL_CALL,
    EventType.COMPACTION,
)


@dataclass(slots=True)
class _PathState:
    lines: LineSet = field(default_factory=LineSet)
    reads: int = 0
    #: The last three read ids (evidence names at most three earlier reads per redundant one).
    last_ids: tuple[str, ...] = ()
    hashes: dict[tuple[float, float], str] = field(default_factory=dict)
    tokens: int = 0
    line_count: float = 0.0

    def density(self) -> float | None:
        return self.tokens / self.line_count if self.line_count else None

    def note(self, event_id: str) -> None:
        self.reads += 1
        self.last_ids = (*self.last_ids[-2:], event_id)


class _Redundant(NamedTuple):
    facts: EventFacts
    tokens: int
    start: float
    end: float
    prior: tuple[str, ...]
    estimated: bool


class _PathDraft(NamedTuple):
    """The parts of a file's finding that only its redundant reads decide (not the carry-over)."""

    reads: int
    claims: tuple[Claim, ...]
    redundant: int
    evidence: tuple[str, ...]
    ranges: list[str]
    estimated: bool
    #: The description up to the carry-over, and the recommendation.
    head: str
    recommendation: RecommendationDraft


def _path_draft(path: str, items: list[_Redundant]) -> _PathDraft:
    evidence = list(dict.fromkeys(i for r in items for i in (*r.prior[-3:], r.facts.id)))
    redundant = sum(r.tokens for r in items)
    ranges = [_fmt_range(r.start, r.end) for r in items]
    return _PathDraft(
        len(items),
        tuple(content_claim(r.facts, r.tokens) for r in items),
        redundant,
        tuple(evidence[:MAX_EVIDENCE]),
        ranges,
        any(r.estimated for r in items),
        f"{short_name(path)} was read again unchanged {len(items)} time(s): {fmt_tokens(redundant)} redundant tokens",
        RecommendationDraft(
            title=f"Reuse the content of {short_name(path)} already in context",
            detail=(
                f"Lines {', '.join(dict.fromkeys(ranges[:5]))} of {path} were already in the context "
                "from an earlier "
                "read and the file had not changed; refer to that output instead of reading it again "
                "(re-read only after an edit, or read just the new line range)."
            ),
        ),
    )


@dataclass(slots=True)
class ReadState:
    """Per file: the lines in context (this version); redundant reads found; their cache-read carry-over."""

    paths: dict[str, _PathState] = field(default_factory=dict)
    found: dict[str, list[_Redundant]] = field(default_factory=dict)
    active: float = 0.0
    pending: list[_Redundant] = field(default_factory=list)
    open_reads: list[tuple[_Redundant, float]] = field(default_factory=list)  # (read, prefix F when active)
    closed: dict[str, float] = field(default_factory=dict)
    prefix: float = 0.0
    #: Per file, what its redundant reads so far give every report (kept while no read is added).
    drafted: dict[str, _PathDraft] = field(default_factory=dict)

    def carry(self) -> dict[str, int]:
        """Cache-read tokens each redundant read cost later calls so far (shared fairly when several are active)."""
        closed = dict(self.closed)
        for r, f0 in self.open_reads:
            closed[r.facts.id] = closed.get(r.facts.id, 0.0) + r.tokens * (self.prefix - f0)
        return {k: int(v) for k, v in closed.items() if v >= 1}


class RepeatedFileReadAnalyzer(FedAnalyzer):
    """Finds re-reads of unchanged, already-read lines and counts their tokens and carry-over."""

    name = "repeated_file_read"
    order = 10

    def start(self) -> ReadState:
        """Nothing read yet."""
        return ReadState()

    def drafts(self, state: ReadState, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per file whose content was returned again unchanged."""
        by_path = state.found
        if not by_path:
            return []
        carry = state.carry()
        drafts = []
        drafted = state.drafted
        for path, items in by_path.items():
            part = drafted.get(path)
            if part is None or part.reads != len(items):
                part = drafted[path] = _path_draft(path, items)
            carried = sum(carry.get(r.facts.id, 0) for r in items)
            claims = (*part.claims, fact_claim(items[-1].facts, "carry", carried)) if carried else part.claims
            head = part.head
            drafts.append(
                Draft(
                    type=self.name,
                    severity=severity_for(part.redundant),
                    description=(
                        f"{head}, carried as {fmt_tokens(carried)} cache-read tokens by later calls"
                        if carried
                        else head
                    ),
                    evidence=part.evidence,
                    claims=claims,
                    details={
                        "file_path": path,
                        "redundant_reads": part.reads,
                        "redundant_tokens": part.redundant,
                        "carryover_cache_read_tokens": carried,
                        "ranges": part.ranges[:MAX_EVIDENCE],
                        "estimated": part.estimated,
                    },
                    recommendation=part.recommendation,
                )
            )
        return drafts

    def feed(self, state: ReadState, delta: Delta) -> None:
        """Follow reads, writes and compactions; fold redundant reads into the carry-over as calls read them."""
        states, found, cap = state.paths, state.found, delta.config.read_default_line_cap
        model_types, read_t, write_t, call_t = MODEL_CALL_TYPES, _READ, _WRITE, _CALL
        read = self._read
        for e in delta.events:  # dispatch by type, reads (the most frequent) first
            t = e.event_type
            if t is read_t:
                red = read(states, e, cap)
                if red is not None:
                    found.setdefault(red[0], []).append(red[1])
                    state.pending.append(red[1])
            elif t in model_types:
                if e.tokens_input or e.tokens_output or e.cache_read_tokens or e.cache_write_tokens:
                    active = state.active  # a model call carries a share of the active redundant reads
                    if active > 0:
                        cache_read = e.cache_read_tokens
                        state.prefix += (active if active <= cache_read else cache_read) / active
                    if state.pending:
                        self._activate(state)
            elif t is call_t:
                d = e.data
                if states and ("modifies_all" in d or "modifies" in d):
                    self._change(states, e)
            elif t is write_t:
                self._change(states, e)
            elif t is _COMPACTION:
                states.clear()
                for r, f0 in state.open_reads:
                    state.closed[r.facts.id] = state.closed.get(r.facts.id, 0.0) + r.tokens * (
                        state.prefix - f0
                    )
                state.open_reads, state.pending, state.active = [], [], 0.0

    @staticmethod
    def _activate(state: ReadState) -> None:
        """The redundant reads found since the last model call start being carried by the calls after it."""
        for r in state.pending:
            state.open_reads.append((r, state.prefix))
            state.active += r.tokens
        state.pending = []

    @staticmethod
    def _change(states: dict[str, _PathState], e: SessionEvent) -> None:
        if e.event_type is EventType.FILE_WRITE:
            raw = get_str(e.data, "file_path")
            if raw:
                states.pop(norm_path(raw), None)
            return None
        if e.data.get("modifies_all"):  # a shell command that changed files (sed -i, formatter, git, mv)
            states.clear()
        modified = e.data.get("modifies")
        for raw in modified if isinstance(modified, list) else ():
            if isinstance(raw, str):
                states.pop(norm_path(raw), None)
        return None

    def _read(
        self, states: dict[str, _PathState], e: SessionEvent, cap: int
    ) -> tuple[str, _Redundant] | None:
        if e.is_error:
            return None
        d = e.data
        raw = d.get("file_path")
        if type(raw) is not str or not raw:
            return None
        path = norm_path(raw)
        state = states.get(path)
        if state is None:
            state = states[path] = _PathState()
        logged = d.get("result_tokens")
        if type(logged) is not int or logged < 0:  # the usual case first; get_int sorts out the rest
            logged = get_int(d, "result_tokens")
        tokens = e.tokens_input if logged is None else logged
        if "tail_lines" in d and get_int(d, "tail_lines") is not None:
            # ``tail -n N``: redundant only when the whole file was already read
            found = None
            if state.reads and state.lines.covers_tail(1) and tokens > 0:
                found = (path, _Redundant(facts_of(e), tokens, math.inf, math.inf, state.last_ids, False))
            state.note(e.id)
            return found
        limit = get_int(d, "limit") if "limit" in d else None
        if limit is None and type(tool := d.get("tool")) is str and tool in _CAPPED_READ_TOOLS:
            limit = cap  # Claude Code's Read stops at 2,000 lines
        offset = get_int(d, "offset") if "offset" in d else None
        start = float(offset) if offset is not None and offset > 1 else 1.0  # line numbers start at 1
        end = start + limit - 1 if limit else math.inf
        digest = d.get("content_sha256")
        if type(digest) is str and digest:
            known = state.hashes.get((start, end))
            if known is not None and known != digest:  # changed by something we did not see
                state = states[path] = _PathState()
            state.hashes[(start, end)] = digest
        redundant, estimated = self._overlap(state, start, end, tokens)
        red = None
        if redundant > 0:
            red = (path, _Redundant(facts_of(e), redundant, start, end, state.last_ids, estimated))
        state.lines.add(start, end)
        state.reads += 1  # state.note, inline
        state.last_ids = (*state.last_ids[-2:], e.id)
        if tokens and end != math.inf:
            state.tokens += tokens
            state.line_count += end - start + 1
        return red

    @staticmethod
    def _overlap(state: _PathState, start: float, end: float, tokens: int) -> tuple[int, bool]:
        """Redundant tokens of a read of ``[start, end]`` and whether the figure is an estimate."""
        if not state.reads or tokens <= 0:
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


def _fmt_range(start: float, end: float) -> str:
    if math.isinf(start):
        return "tail"
    return f"{int(start)}-end" if math.isinf(end) else f"{int(start)}-{int(end)}"
