"""large_uncompressed_read: a read of more than 2,000 tokens that was not compressed.

The saving is measured when the read logged ``original_tokens``/``compressed_tokens`` (ContextCompressor), or
from the compression ratio this session achieved on its compressed reads; otherwise it is a stated estimate
per file kind (logs keep 20%, data files 30%, docs 50%, code 60%; others 50%), or the configured
``assumed_compression_ratio`` when one is set. Advice fits the agent: a range read or a search where the agent
reads files itself, ContextCompressor only where the session logs compression, and never "read lines X-Y
instead of the whole file" for a read that already was a range.
"""

from __future__ import annotations

import functools
import math
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sessionoptimizer_sdk.analysis.base import Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_int, get_str
from sessionoptimizer_sdk.analysis.facts import EventFacts, content_claim, facts_of
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType

from ._common import MAX_EVIDENCE, FedAnalyzer, fmt_tokens, norm_path, severity_for, short_name

__all__ = ["LargeUncompressedReadAnalyzer"]


class _Big(NamedTuple):
    """A read above the threshold that was not compressed (its saving depends on the session's ratio).

    A named tuple of plain values: untracked by the cyclic GC (see ``EventFacts``).
    """

    key: str
    facts: EventFacts
    tokens: int
    measured: float | None
    kind: str
    ranged: bool
    offset: int
    shell: bool


@dataclass(slots=True)
class LargeReadState:
    """Big uncompressed reads (by file), ranges read per file, and the session's compression figures so far.

    ``drafted`` keeps each file's last draft with what it was made from: a live report re-drafts only the files
    whose reads, range or ratio changed since the one before (the same draft either way).
    """

    big: list[_Big] = field(default_factory=list)
    by_path: dict[str, list[int]] = field(default_factory=dict)  # file -> its indexes in ``big``
    windows: dict[str, tuple[int, int]] = field(default_factory=dict)
    original: int = 0
    compressed: int = 0
    compresses: bool = False
    drafted: dict[str, tuple[tuple[object, ...], int, Draft | None]] = field(default_factory=dict)


class LargeUncompressedReadAnalyzer(FedAnalyzer):
    """Flags big uncompressed reads and claims the tokens compression would have saved."""

    name = "large_uncompressed_read"
    order = 20

    def start(self) -> LargeReadState:
        """Nothing read yet."""
        return LargeReadState()

    def feed(self, state: LargeReadState, delta: Delta) -> None:
        """Note compression figures and ranges of every read; keep the big uncompressed ones."""
        threshold = delta.config.large_read_tokens
        read_t = EventType.FILE_READ
        for e in delta.events:
            if e.event_type is not read_t or e.is_error:
                continue
            d = e.data
            if "compressed" in d or "original_tokens" in d:  # the rare reads that logged compression
                self._compression(state, d)
            logged = d.get("result_tokens")
            if type(logged) is not int or logged < 0:  # the usual case first; get_int sorts out the rest
                logged = get_int(d, "result_tokens")
            tokens = e.tokens_input if logged is None else logged
            if tokens <= threshold and "limit" not in d:
                continue
            path = norm_path(get_str(d, "file_path") or "")
            offset = get_int(d, "offset") if "offset" in d else None
            limit = get_int(d, "limit") if "limit" in d else None
            if path and limit:
                start = max(offset or 1, 1)
                lo, hi = state.windows.get(path, (start, start + limit - 1))
                state.windows[path] = (min(lo, start), max(hi, start + limit - 1))
            if tokens <= threshold or d.get("compressed") is True:
                continue
            measured = None
            if "original_tokens" in d:
                original, compressed = get_int(d, "original_tokens"), get_int(d, "compressed_tokens")
                if original and compressed is not None and compressed < original:
                    measured = compressed / original
            shell = d.get("read_via") == "shell" or get_str(d, "tool") in _SHELL_TOOLS
            big = _Big(
                path or "(unnamed file)",
                facts_of(e),
                tokens,
                measured,
                file_kind(path),
                bool(limit),
                max(offset or 1, 1),
                shell,
            )
            state.by_path.setdefault(big.key, []).append(len(state.big))
            state.big.append(big)

    @staticmethod
    def _compression(state: LargeReadState, d: Mapping[str, Any]) -> None:
        """Add a read's logged compression to the session's figures."""
        if d.get("compressed") is True:
            o, c = get_int(d, "original_tokens"), get_int(d, "compressed_tokens")
            if o and c is not None and c <= o:
                state.original += o
                state.compressed += c
        state.compresses = True

    def drafts(self, state: LargeReadState, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per file read uncompressed above the threshold, in the order of each file's first saving."""
        cfg = ctx.config
        session_ratio = state.compressed / state.original if state.original else None
        unmeasured: dict[str, tuple[float, str]] = {}  # (ratio, basis) of a read that measured none, by kind
        made: list[tuple[int, Draft]] = []
        for path, indexes in state.by_path.items():
            key = (
                len(indexes),
                session_ratio,
                cfg.assumed_compression_ratio,
                cfg.large_read_tokens,
                state.windows.get(path),
                state.compresses,
            )
            held = state.drafted.get(path)
            if held is None or held[0] != key:
                first, draft = self._draft(path, indexes, state, cfg, session_ratio, unmeasured)
                held = state.drafted[path] = (key, first, draft)
            if held[2] is not None:
                made.append((held[1], held[2]))
        made.sort(key=lambda item: item[0])
        return [draft for _, draft in made]

    def _draft(
        self,
        path: str,
        indexes: list[int],
        state: LargeReadState,
        cfg: AnalysisConfig,
        session_ratio: float | None,
        unmeasured: dict[str, tuple[float, str]],
    ) -> tuple[int, Draft | None]:
        """One file's draft and the index of its first read that saves anything (-1, None: none does)."""
        items: list[tuple[_Big, int, float, str]] = []
        first = -1
        for i in indexes:
            b = state.big[i]
            if b.measured is not None:
                ratio, basis = _clamped(b.measured), "measured"
            else:
                known = unmeasured.get(b.kind)
                if known is None:
                    if session_ratio is not None:
                        known = _clamped(session_ratio), "session"
                    elif cfg.assumed_compression_ratio is not None:
                        known = cfg.assumed_compression_ratio, "configured"
                    else:
                        known = _clamped(KEPT_BY_KIND[b.kind]), f"estimate:{b.kind}"
                    unmeasured[b.kind] = known
                ratio, basis = known
            saving = int(b.tokens * (1.0 - ratio))
            if saving > 0:
                if first < 0:
                    first = i
                items.append((b, saving, ratio, basis))
        if not items:
            return -1, None
        saving = sum(s for _, s, _, _ in items)
        bases = {b for _, _, _, b in items}
        estimated = bases != {"measured"}
        claims = tuple(content_claim(b.facts, s) for b, s, _, _ in items)
        advice = _advice(path, [b for b, _, _, _ in items], state.windows.get(path), state.compresses)
        draft = Draft(
            type=self.name,
            severity=severity_for(saving),
            description=(
                f"{short_name(path)} was read uncompressed {len(items)} time(s) above "
                f"{fmt_tokens(cfg.large_read_tokens)} tokens; compression would save "
                f"{'about ' if estimated else ''}{{waste}} tokens" + _basis_note(bases, items[0][2])
            ),
            evidence=tuple(b.facts.id for b, _, _, _ in items[:MAX_EVIDENCE]),
            claims=claims,
            details={
                "file_path": path,
                "reads": len(items),
                "estimated": estimated,
                "basis": sorted(bases),
                "compression_ratio": round(items[0][2], 4),
            },
            waste_in_description=True,
            recommendation=RecommendationDraft(
                title=f"Shrink reads of {short_name(path)}",
                detail=advice[0].upper() + advice[1:] + ".",
            ),
        )
        return first, draft


#: Stated estimates of the share of a file a reader needs, by kind (used when nothing was measured).
KEPT_BY_KIND: dict[str, float] = {"log": 0.2, "data": 0.3, "docs": 0.5, "code": 0.6, "other": 0.5}
_KINDS = {
    "log": {".log", ".out", ".err"},
    "data": {".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".xml", ".yaml", ".yml", ".lock", ".svg", ".sql"},
    "docs": {".md", ".rst", ".txt", ".html", ".htm", ".adoc"},
    "code": {
        ".py",
        ".js",
        ".ts",
        ".tsx",
        ".jsx",
        ".go",
        ".rs",
        ".java",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".rb",
        ".php",
        ".kt",
        ".swift",
        ".scala",
        ".sh",
        ".css",
        ".vue",
        ".svelte",
    },
}


_KIND_OF_EXT = {ext: kind for kind, exts in _KINDS.items() for ext in exts}


@functools.lru_cache(maxsize=4096)
def file_kind(path: str) -> str:
    """``log``, ``data``, ``docs``, ``code`` or ``other`` from the file's extension."""
    return _KIND_OF_EXT.get(posixpath.splitext(path.lower())[1], "other")


def _basis_note(bases: set[str], ratio: float) -> str:
    """Where an unmeasured saving's kept share came from, for the description ("" when all were measured)."""
    if any(b.startswith("estimate") for b in bases):
        return f" (estimate: {ratio:.0%} kept for this kind of file)"
    if "configured" in bases:
        return f" (assumed: {ratio:.0%} kept, as configured)"
    return ""


def _clamped(ratio: float) -> float:
    """A compression ratio within [0, 1] (a non-finite one reads as the ``other`` kind's estimate)."""
    return min(max(ratio, 0.0), 1.0) if math.isfinite(ratio) else KEPT_BY_KIND["other"]


def _advice(path: str, reads: list[_Big], span: tuple[int, int] | None, compresses: bool) -> str:
    """What to do instead, fitted to how the agent reads and whether it logs compression."""
    name = short_name(path)
    ranged = [b for b in reads if b.ranged]
    shell = all(b.shell for b in reads)
    search = "rg/grep, or sed -n 'A,Bp'" if shell else "Grep, or Read with offset/limit"
    if ranged and len(ranged) == len(reads):
        lo = min(b.offset for b in ranged)
        advice = f"the read of {name} already was a range (from line {lo}); narrow it further or use {search}"
    elif span:
        lo, hi = span
        advice = f"read lines {lo}-{hi} of {name} (the range used) instead of the whole file"
    else:
        advice = f"read only the part of {name} you need ({search} first)"
    if compresses:
        advice += f", or compress {name} with ContextCompressor as this session does for other reads"
    return advice


_SHELL_TOOLS = frozenset({"shell", "exec_command", "local_shell", "Bash", "shell_command"})
