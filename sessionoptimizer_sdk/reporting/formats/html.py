"""The self-contained HTML report: inline CSS, no scripts, every value escaped (task names and paths are untrusted)."""

from __future__ import annotations

from html import escape

from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.reporting.formats._summary import headline_rows, saving_text, score_text, usd

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:60rem;color:#1d1d1f}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}.sev{font-weight:600;border-radius:4px;padding:0 .4rem}
.HIGH{background:#fde2e1;color:#a1150c}.MEDIUM{background:#fff1d6;color:#8a5300}.LOW{background:#e6f0ff;color:#1b4d99}
.score{font-size:2rem;font-weight:700}.prov{color:#8a5300}
"""


def render_html(report: OptimizationReport) -> str:
    """The report as one HTML page with no external resources."""
    e = escape
    head = "".join(
        f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in headline_rows(report)
    )
    issues = "".join(
        f"<tr><td><span class='sev {e(f.severity.value)}'>{e(f.severity.value)}</span></td><td><code>{e(f.type)}</code>"
        f"</td><td class='num'>{f.waste_tokens:,}</td>"
        f"<td class='num'>{e(usd(f.waste_usd) if f.avoidable else 'cost ' + usd(f.cost_usd))}</td>"
        f"<td>{e(f.description)}</td></tr>"
        for f in report.issues
    )
    recs = "".join(
        f"<li><strong>{e(r.title)}</strong> ({e(saving_text(r))}): {e(r.detail)}</li>"
        for r in report.recommendations
    )
    errors = "".join(f"<li><code>{e(x.analyzer)}</code>: {e(x.error)}</li>" for x in report.analyzer_errors)
    provisional = (
        "<p class='prov'>Provisional: the session is still active.</p>" if report.provisional else ""
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Session report: {e(report.session_id)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Session report: {e(report.session_id)}</h1>{provisional}"
        f"<p class='score'>{e(score_text(report))}{' efficient' if report.scored else ''}</p>"
        f"<table>{head}</table>"
        f"<h2>Issues ({len(report.issues)})</h2>"
        + (
            "<table><tr><th>Severity</th><th>Type</th><th>Waste (tokens)</th><th>Waste (USD)</th><th>Description</th>"
            f"</tr>{issues}</table>"
            if issues
            else "<p>No issues found.</p>"
        )
        + f"<h2>Recommendations ({len(report.recommendations)})</h2>"
        + (f"<ul>{recs}</ul>" if recs else "<p>Nothing to recommend.</p>")
        + (f"<h2>Analyzer errors</h2><ul>{errors}</ul>" if errors else "")
        + "</body></html>\n"
    )
