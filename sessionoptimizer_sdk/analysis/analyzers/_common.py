"""Small helpers shared by the built-in detectors."""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sessionoptimizer_sdk.analysis.report import Recommendation, Severity

if TYPE_CHECKING:
    from sessionoptimizer_sdk.analysis.base import Draft
    from sessionoptimizer_sdk.analysis.context import AnalysisContext

__all__ = ["MAX_EVIDENCE", "FedAnalyzer", "fmt_tokens", "norm_path", "severity_for", "short_name"]

#: Event ids listed per finding (the finding's details say how many there were in all).
MAX_EVIDENCE = 50


def severity_for(waste_tokens: int, *, medium: int = 1_000, high: int = 5_000) -> Severity:
    """Severity by settled waste: HIGH from ``high`` tokens, MEDIUM from ``medium``, else LOW."""
    if waste_tokens >= high:
        return Severity.HIGH
    if waste_tokens >= medium:
        return Severity.MEDIUM
    return Severity.LOW


@functools.lru_cache(maxsize=4096)
def norm_path(path: str) -> str:
    """A file path normalised for comparison (``a/./b`` and ``a//b`` are ``a/b``); cached: sessions repeat paths."""
    return posixpath.normpath(path) if path else path


def short_name(path: str) -> str:
    """The file name of a path, for short human-readable descriptions."""
    return posixpath.basename(path) or path


def fmt_tokens(n: int) -> str:
    """``12,345`` style token counts."""
    return f"{n:,}"


class FedAnalyzer:
    """Base of the built-in incremental analyzers: ``analyze(ctx)`` feeds the context's events, then drafts."""

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft | Recommendation]:
        """This detector's drafts for the session in ``ctx`` (the same code path as a live analysis)."""
        from sessionoptimizer_sdk.analysis.feed import analyze_alone

        return analyze_alone(self, ctx)  # type: ignore[arg-type]
