"""Small helpers shared by the built-in detectors."""

from __future__ import annotations

import posixpath

from sessionoptimizer_sdk.analysis.report import Severity

__all__ = ["MAX_EVIDENCE", "fmt_tokens", "norm_path", "severity_for", "short_name"]

#: Event ids listed per finding (the finding's details say how many there were in all).
MAX_EVIDENCE = 50


def severity_for(waste_tokens: int, *, medium: int = 1_000, high: int = 5_000) -> Severity:
    """Severity by settled waste: HIGH from ``high`` tokens, MEDIUM from ``medium``, else LOW."""
    if waste_tokens >= high:
        return Severity.HIGH
    if waste_tokens >= medium:
        return Severity.MEDIUM
    return Severity.LOW


def norm_path(path: str) -> str:
    """A file path normalised for comparison (``a/./b`` and ``a//b`` are ``a/b``)."""
    return posixpath.normpath(path) if path else path


def short_name(path: str) -> str:
    """The file name of a path, for short human-readable descriptions."""
    return posixpath.basename(path) or path


def fmt_tokens(n: int) -> str:
    """``12,345`` style token counts."""
    return f"{n:,}"
