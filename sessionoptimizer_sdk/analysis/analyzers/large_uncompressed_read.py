"""large_uncompressed_read: a read of more than 2,000 tokens that was not compressed.

The saving is measured when the read logged ``original_tokens``/``compressed_tokens`` (ContextCompressor), or
from the compression ratio this session achieved on its compressed reads; otherwise it is a stated estimate
per file kind (logs keep 20%, data files 30%, docs 50%, code 60%; others 50%), or the configured
``assumed_compression_ratio`` when one is set. Advice fits the agent: a range read or a search where the agent
reads files itself, ContextCompressor only where the session logs compression, and never "read lines X-Y
instead of the whole file" for a read that already was a range.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Iterable

from sessionoptimizer_sdk.analysis.base import Draft, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_int, get_str
from sessionoptimizer_sdk.analysis.report import Recommendation
from sessionoptimizer_sdk.models import EventType, SessionEvent

from ._common import MAX_EVIDENCE, fmt_tokens, norm_path, severity_for, short_name

__all__ = ["LargeUncompressedReadAnalyzer"]


class LargeUncompressedReadAnalyzer:
    """Flags big uncompressed reads and claims the tokens compression would have saved."""

    name = "large_uncompressed_read"
    order = 20

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """One finding per file read uncompressed above the threshold."""
        cfg = ctx.config
        read_t = EventType.FILE_READ
        reads = [(i, e) for i, e in enumerate(ctx.events) if e.event_type is read_t and not e.is_error]
        session_ratio = _session_ratio([e for _, e in reads])
        compresses = any("compressed" in e.data or "original_tokens" in e.data for _, e in reads)
        windows: dict[str, list[tuple[int, int]]] = {}
        big: dict[str, list[tuple[SessionEvent, int, float, str]]] = {}
        for i, e in reads:
            tokens = ctx.content[i]
            if tokens <= cfg.large_read_tokens and "limit" not in e.data:
                continue
            path = norm_path(get_str(e.data, "file_path") or "")
            offset, limit = get_int(e.data, "offset"), get_int(e.data, "limit")
            if path and limit:
                start = max(offset or 1, 1)
                windows.setdefault(path, []).append((start, start + limit - 1))
            if tokens <= cfg.large_read_tokens or e.data.get("compressed") is True:
                continue
            original, compressed = get_int(e.data, "original_tokens"), get_int(e.data, "compressed_tokens")
            if original and compressed is not None and compressed < original:
                ratio, basis = compressed / original, "measured"
            elif session_ratio is not None:
                ratio, basis = session_ratio, "session"
            elif cfg.assumed_compression_ratio is not None:
                ratio, basis = cfg.assumed_compression_ratio, "estimate"
            else:
                kind = file_kind(path)
                ratio, basis = KEPT_BY_KIND[kind], f"estimate:{kind}"
            ratio = min(max(ratio, 0.0), 1.0) if math.isfinite(ratio) else KEPT_BY_KIND["other"]
            saving = int(tokens * (1.0 - ratio))
            if saving > 0:
                big.setdefault(path or "(unnamed file)", []).append((e, saving, ratio, basis))
        drafts: list[Draft | Recommendation] = []
        for path, items in big.items():
            saving = sum(s for _, s, _, _ in items)
            bases = {b for _, _, _, b in items}
            estimated = bases != {"measured"}
            claims = tuple(ctx.content_claim(e, s) for e, s, _, _ in items)
            advice = _advice(path, [e for e, _, _, _ in items], windows.get(path), compresses)
            drafts.append(
                Draft(
                    type=self.name,
                    severity=severity_for(saving),
                    description=(
                        f"{short_name(path)} was read uncompressed {len(items)} time(s) above "
                        f"{fmt_tokens(cfg.large_read_tokens)} tokens; compression would save "
                        f"{'about ' if estimated else ''}{{waste}} tokens"
                        + (
                            f" (estimate: {items[0][2]:.0%} kept for this kind of file)"
                            if any(b.startswith("estimate") for b in bases)
                            else ""
                        )
                    ),
                    evidence=tuple(e.id for e, _, _, _ in items[:MAX_EVIDENCE]),
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
            )
        return drafts


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


def file_kind(path: str) -> str:
    """``log``, ``data``, ``docs``, ``code`` or ``other`` from the file's extension."""
    ext = posixpath.splitext(path.lower())[1]
    return next((kind for kind, exts in _KINDS.items() if ext in exts), "other")


def _advice(
    path: str, reads: list[SessionEvent], span: list[tuple[int, int]] | None, compresses: bool
) -> str:
    """What to do instead, fitted to how the agent reads and whether it logs compression."""
    name = short_name(path)
    ranged = [e for e in reads if get_int(e.data, "limit")]
    shell = all(e.data.get("read_via") == "shell" or get_str(e.data, "tool") in _SHELL_TOOLS for e in reads)
    search = "rg/grep, or sed -n 'A,Bp'" if shell else "Grep, or Read with offset/limit"
    if ranged and len(ranged) == len(reads):
        lo = min(max(get_int(e.data, "offset") or 1, 1) for e in ranged)
        advice = f"the read of {name} already was a range (from line {lo}); narrow it further or use {search}"
    elif span:
        lo, hi = min(a for a, _ in span), max(b for _, b in span)
        advice = f"read lines {lo}-{hi} of {name} (the range used) instead of the whole file"
    else:
        advice = f"read only the part of {name} you need ({search} first)"
    if compresses:
        advice += f", or compress {name} with ContextCompressor as this session does for other reads"
    return advice


_SHELL_TOOLS = frozenset({"shell", "exec_command", "local_shell", "Bash", "shell_command"})


def _session_ratio(reads: list[SessionEvent]) -> float | None:
    """Compressed/original over this session's compressed reads that logged both sizes."""
    original = compressed = 0
    for e in reads:
        if e.data.get("compressed") is True:
            o, c = get_int(e.data, "original_tokens"), get_int(e.data, "compressed_tokens")
            if o and c is not None and c <= o:
                original += o
                compressed += c
    return compressed / original if original else None
