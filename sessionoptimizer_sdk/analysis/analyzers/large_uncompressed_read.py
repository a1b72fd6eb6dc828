"""large_uncompressed_read: a read of more than 2,000 tokens that was not compressed.

The saving is measured when the read logged ``original_tokens``/``compressed_tokens`` (ContextCompressor), or
from the compression ratio this session achieved on its compressed reads; otherwise it is an estimate at the
configured ratio, and labelled as one.
"""

from __future__ import annotations

import math
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
            else:
                ratio, basis = cfg.assumed_compression_ratio, "estimate"
            ratio = min(max(ratio, 0.0), 1.0) if math.isfinite(ratio) else cfg.assumed_compression_ratio
            saving = int(tokens * (1.0 - ratio))
            if saving > 0:
                big.setdefault(path or "(unnamed file)", []).append((e, saving, ratio, basis))
        drafts: list[Draft | Recommendation] = []
        for path, items in big.items():
            saving = sum(s for _, s, _, _ in items)
            bases = {b for _, _, _, b in items}
            estimated = bases != {"measured"}
            claims = tuple(ctx.content_claim(e, s) for e, s, _, _ in items)
            span = windows.get(path)
            if span:
                lo, hi = min(a for a, _ in span), max(b for _, b in span)
                advice = (
                    f"read lines {lo}-{hi} of {short_name(path)} (the range used) instead of the whole file"
                )
            else:
                advice = f"compress {short_name(path)} with ContextCompressor or read only the lines you need"
            drafts.append(
                Draft(
                    type=self.name,
                    severity=severity_for(saving),
                    description=(
                        f"{short_name(path)} was read uncompressed {len(items)} time(s) above "
                        f"{fmt_tokens(cfg.large_read_tokens)} tokens; compression would save "
                        f"{'about ' if estimated else ''}{fmt_tokens(saving)} tokens"
                        + (" (estimate)" if "estimate" in bases else "")
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
                    recommendation=RecommendationDraft(
                        title=f"Shrink reads of {short_name(path)}",
                        detail=advice[0].upper() + advice[1:] + ".",
                    ),
                )
            )
        return drafts


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
