"""The Markdown report: headline table, issues, recommendations (content escaped for tables)."""

from __future__ import annotations

from sessionoptimizer_sdk._internal.terminal import escape_control
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.reporting.formats._summary import headline_rows, saving_text, usd

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    """Text safe in a table cell and on a terminal (control characters shown as escapes)."""
    text = escape_control(text.replace("\n", " "))
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def render_markdown(report: OptimizationReport) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [f"# Session report: {_cell(report.session_id)}", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in headline_rows(report)]
    lines += ["", f"## Issues ({len(report.issues)})", ""]
    if report.issues:
        lines += [
            "| Severity | Type | Waste (tokens) | Waste (USD) | Description |",
            "|---|---|---:|---:|---|",
        ]
        for f in report.issues:
            lines.append(
                f"| {f.severity.value} | `{f.type}` | {f.waste_tokens:,} "
                f"| {usd(f.waste_usd) if f.avoidable else 'cost ' + usd(f.cost_usd)} "
                f"| {_cell(f.description)} |"
            )
    else:
        lines.append("No issues found.")
    lines += ["", f"## Recommendations ({len(report.recommendations)})", ""]
    for r in report.recommendations:
        saving = f" ({saving_text(r)})"
        lines.append(f"- **{_cell(r.title)}**{saving}: {_cell(r.detail)}")
    if not report.recommendations:
        lines.append("Nothing to recommend.")
    if report.analyzer_errors:
        lines += ["", "## Analyzer errors", ""]
        lines += [f"- `{_cell(e.analyzer)}`: {_cell(e.error)}" for e in report.analyzer_errors]
    return "\n".join(lines) + "\n"
