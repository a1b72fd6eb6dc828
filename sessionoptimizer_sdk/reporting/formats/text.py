"""The plain-text report for terminals (no colour codes: safe to pipe)."""

from __future__ import annotations

from sessionoptimizer_sdk._internal.terminal import escape_control
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.reporting.formats._summary import finding_money, headline_rows, saving_text

__all__ = ["render_text"]


def _clean(text: str) -> str:
    """Control characters shown as escapes (terminal escape injection from untrusted task names or paths)."""
    return escape_control(text)


def render_text(report: OptimizationReport) -> str:
    """The report as aligned plain text."""
    rows = headline_rows(report)
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {_clean(value)}" for label, value in rows]
    lines += ["", f"Issues ({len(report.issues)})"]
    for f in report.issues:
        lines.append(f"  [{f.severity.value:<6}] {_clean(f.type)}: {_clean(f.description)}")
        lines.append(f"           {finding_money(f)}")
    if not report.issues:
        lines.append("  none")
    lines += ["", f"Recommendations ({len(report.recommendations)})"]
    for r in report.recommendations:
        lines.append(f"  - {_clean(r.title)} ({saving_text(r)})")
        lines.append(f"    {_clean(r.detail)}")
    for e in report.analyzer_errors:
        lines.append(f"analyzer error: {_clean(e.analyzer)}: {_clean(e.error)}")
    return "\n".join(lines) + "\n"
