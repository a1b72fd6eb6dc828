"""The Markdown, text, HTML and JSON reports, pinned line by line on a report whose every figure is set here."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sessionoptimizer_sdk.analysis.report import (
    AnalyzerError,
    Finding,
    OptimizationReport,
    Recommendation,
    Severity,
)
from sessionoptimizer_sdk.errors import InvalidFormat
from sessionoptimizer_sdk.models import TokenUsage
from sessionoptimizer_sdk.reporting import render

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)
# $3/M input (Sonnet): 18,010 tokens = $0.05403 -> "$0.0540"; 4,000 tokens = $0.012 + 8,000 cache-read
# tokens at $0.30/M = $0.0024 -> $0.0144 in all; an unavoidable rewrite of 18,000 tokens at $3.75/M = $0.0675.
MISS = Finding("cache_miss", Severity.HIGH, "Cache miss because the prompt prefix changed", 18_010, 0.05403)
REREAD = Finding(
    "repeated_file_read",
    Severity.MEDIUM,
    "a|b.py <read> 3x\nagain",
    4_000,
    0.0144,
    carryover_tokens=8_000,
    carryover_usd=0.0024,
)
AFTER_PAUSE = Finding(
    "cache_miss", Severity.LOW, "Cache rewrite after a 2 h pause", avoidable=False, cost_usd=0.0675
)
KEEP = Recommendation("Keep the prefix stable", "Load tools up front.", 18_010, 0.05403, ("cache_miss",))
SLICE = Recommendation(
    "Read slices", "Use offset/limit.", 4_000, 0.0144, ("repeated_file_read",), 8_000, 0.0024
)


def _report(**changes: object) -> OptimizationReport:
    report = OptimizationReport(
        session_id="s-1",
        agent="ATLAS",
        task="Fix <b>bug</b> | now",
        model="claude-sonnet-4-5",
        status="COMPLETED",
        provisional=False,
        efficiency_score=72.5,
        total_waste_tokens=22_010,
        totals=TokenUsage(1_200, 3_400, 50_000, 20_000, 0),
        cost_usd=0.1234,
        unpriced_reason=None,
        waste_usd=0.06603,
        active_minutes=3.5,
        wall_minutes=10.0,
        event_count=40,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=10),
        generated_at=T0 + timedelta(minutes=11),
        issues=(MISS, REREAD, AFTER_PAUSE),
        recommendations=(KEEP, SLICE),
        analyzer_errors=(AnalyzerError("broken", "ValueError: x"),),
        unavoidable_cost_usd=0.0675,
    )
    return replace(report, **changes)  # type: ignore[arg-type]


def _empty() -> OptimizationReport:
    return _report(
        issues=(),
        recommendations=(),
        analyzer_errors=(),
        unavoidable_cost_usd=None,
        total_waste_tokens=0,
        waste_usd=0.0,
    )


TOKENS = "input 1,200 · cache read 50,000 · cache write 20,000 · output 3,400 (thinking 0)"


def test_markdown_report_exact() -> None:
    """The Markdown report: headline table, issues table (cost for the unavoidable one), savings, errors."""
    assert render(_report(), "markdown") == (
        "# Session report: s-1\n"
        "\n"
        "| | |\n"
        "|---|---|\n"
        "| Session | s-1 |\n"
        "| Agent | ATLAS |\n"
        "| Task | Fix &lt;b>bug&lt;/b> \\| now |\n"
        "| Model | claude-sonnet-4-5 |\n"
        "| Status | COMPLETED |\n"
        "| Efficiency | 72.5% |\n"
        "| Waste | 22,010 tokens ($0.0660) |\n"
        "| Cost | $0.1234 |\n"
        "| Unavoidable | $0.0675 of the cost (not waste: see the issues) |\n"
        f"| Tokens | {TOKENS} |\n"
        "| Time | 3.5 active min / 10.0 wall min |\n"
        "\n"
        "## Issues (3)\n"
        "\n"
        "| Severity | Type | Waste (tokens) | Waste (USD) | Description |\n"
        "|---|---|---:|---:|---|\n"
        "| HIGH | `cache_miss` | 18,010 | $0.0540 | Cache miss because the prompt prefix changed |\n"
        "| MEDIUM | `repeated_file_read` | 4,000 | $0.0144 | a\\|b.py &lt;read> 3x again |\n"
        "| LOW | `cache_miss` | 0 | cost $0.0675 | Cache rewrite after a 2 h pause |\n"
        "\n"
        "## Recommendations (2)\n"
        "\n"
        "- **Keep the prefix stable** (saves ~18,010 tokens, $0.0540): Load tools up front.\n"
        "- **Read slices** (saves ~4,000 tokens, $0.0144 incl. 8,000 cache-read carry-over tokens ($0.0024)):"
        " Use offset/limit.\n"
        "\n"
        "## Analyzer errors\n"
        "\n"
        "- `broken`: ValueError: x\n"
    )


def test_markdown_of_an_empty_report() -> None:
    """A report with nothing found says so in both sections and has no analyzer-error section."""
    md = render(_empty(), "markdown")
    assert md.endswith(
        "| Time | 3.5 active min / 10.0 wall min |\n"
        "\n"
        "## Issues (0)\n"
        "\n"
        "No issues found.\n"
        "\n"
        "## Recommendations (0)\n"
        "\n"
        "Nothing to recommend.\n"
    )


def test_markdown_cells_escape_backslashes_and_control_characters() -> None:
    """A backslash doubles and an ESC shows as its escape (itself escaped), so a cell never breaks the table."""
    md = render(_report(task="a\\b\x1bc"), "markdown")
    assert "| Task | a\\\\b\\\\x1bc |\n" in md


def test_text_report_exact() -> None:
    """The terminal report: labels padded to the longest, issues with their money, savings, errors."""
    assert render(_report(notes=("estimated",)), "text") == (
        "Session      s-1\n"
        "Agent        ATLAS\n"
        "Task         Fix <b>bug</b> | now\n"
        "Model        claude-sonnet-4-5\n"
        "Status       COMPLETED\n"
        "Efficiency   72.5%\n"
        "Waste        22,010 tokens ($0.0660)\n"
        "Cost         $0.1234\n"
        "Unavoidable  $0.0675 of the cost (not waste: see the issues)\n"
        f"Tokens       {TOKENS}\n"
        "Time         3.5 active min / 10.0 wall min\n"
        "Notes        estimated\n"
        "\n"
        "Issues (3)\n"
        "  [HIGH  ] cache_miss: Cache miss because the prompt prefix changed\n"
        "           waste 18,010 tokens ($0.0540)\n"
        "  [MEDIUM] repeated_file_read: a|b.py <read> 3x\\x0aagain\n"
        "           waste 4,000 tokens ($0.0144), incl. carry-over 8,000 cache-read tokens ($0.0024)\n"
        "  [LOW   ] cache_miss: Cache rewrite after a 2 h pause\n"
        "           cost $0.0675, not waste\n"
        "\n"
        "Recommendations (2)\n"
        "  - Keep the prefix stable (saves ~18,010 tokens, $0.0540)\n"
        "    Load tools up front.\n"
        "  - Read slices (saves ~4,000 tokens, $0.0144 incl. 8,000 cache-read carry-over tokens ($0.0024))\n"
        "    Use offset/limit.\n"
        "analyzer error: broken: ValueError: x\n"
    )


def test_text_of_an_empty_report_and_escaped_names() -> None:
    """No issues reads 'none'; control characters in titles, errors and details show as escapes."""
    report = replace(
        _empty(),
        recommendations=(Recommendation("t\x1b", "d\x07"),),
        analyzer_errors=(AnalyzerError("a\x1b", "e\x1b"),),
    )
    text = render(report, "text")
    assert text.endswith(
        "\nIssues (0)\n"
        "  none\n"
        "\n"
        "Recommendations (1)\n"
        "  - t\\x1b (saves ~0 tokens, unpriced)\n"
        "    d\\x07\n"
        "analyzer error: a\\x1b: e\\x1b\n"
    )
    assert "\x1b" not in text and "\x07" not in text


def test_html_report_exact() -> None:
    """The HTML page: escaped title and cells, the score, issues table, savings and analyzer errors."""
    page = render(_report(), "html")
    head, body = page.split("</head>")
    assert head.startswith(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<title>Session report: s-1</title><style>"
    )
    assert head.endswith("</style>")
    rows = "".join(
        f"<tr><th>{label}</th><td>{value}</td></tr>"
        for label, value in [
            ("Session", "s-1"),
            ("Agent", "ATLAS"),
            ("Task", "Fix &lt;b&gt;bug&lt;/b&gt; | now"),
            ("Model", "claude-sonnet-4-5"),
            ("Status", "COMPLETED"),
            ("Efficiency", "72.5%"),
            ("Waste", "22,010 tokens ($0.0660)"),
            ("Cost", "$0.1234"),
            ("Unavoidable", "$0.0675 of the cost (not waste: see the issues)"),
            ("Tokens", TOKENS),
            ("Time", "3.5 active min / 10.0 wall min"),
        ]
    )
    assert body == (
        "<body><h1>Session report: s-1</h1>"
        "<p class='score'>72.5% efficient</p>"
        f"<table>{rows}</table>"
        "<h2>Issues (3)</h2>"
        "<table><tr><th>Severity</th><th>Type</th><th>Waste (tokens)</th><th>Waste (USD)</th><th>Description</th>"
        "</tr>"
        "<tr><td><span class='sev HIGH'>HIGH</span></td><td><code>cache_miss</code></td>"
        "<td class='num'>18,010</td><td class='num'>$0.0540</td>"
        "<td>Cache miss because the prompt prefix changed</td></tr>"
        "<tr><td><span class='sev MEDIUM'>MEDIUM</span></td><td><code>repeated_file_read</code></td>"
        "<td class='num'>4,000</td><td class='num'>$0.0144</td><td>a|b.py &lt;read&gt; 3x\nagain</td></tr>"
        "<tr><td><span class='sev LOW'>LOW</span></td><td><code>cache_miss</code></td>"
        "<td class='num'>0</td><td class='num'>cost $0.0675</td><td>Cache rewrite after a 2 h pause</td></tr>"
        "</table>"
        "<h2>Recommendations (2)</h2>"
        "<ul><li><strong>Keep the prefix stable</strong> (saves ~18,010 tokens, $0.0540): Load tools up front.</li>"
        "<li><strong>Read slices</strong> (saves ~4,000 tokens, $0.0144 incl. 8,000 cache-read carry-over tokens"
        " ($0.0024)): Use offset/limit.</li></ul>"
        "<h2>Analyzer errors</h2><ul><li><code>broken</code>: ValueError: x</li></ul>"
        "</body></html>\n"
    )


def test_html_of_an_empty_provisional_unscored_report() -> None:
    """A live report says 'Provisional'; an unscored one shows n/a without 'efficient'; empty sections say so."""
    page = render(_empty(), "html")
    assert "<p class='prov'>" not in page
    live = render(replace(_empty(), provisional=True, status="ACTIVE", scored=False), "html")
    body = live.split("</head>")[1]
    assert body.startswith(
        "<body><h1>Session report: s-1</h1><p class='prov'>Provisional: the session is still active.</p>"
        "<p class='score'>n/a (no model calls recorded)</p><table>"
    )
    assert body.endswith(
        "</table><h2>Issues (0)</h2><p>No issues found.</p>"
        "<h2>Recommendations (0)</h2><p>Nothing to recommend.</p></body></html>\n"
    )


def test_html_escapes_every_untrusted_cell() -> None:
    """Session ids, finding types, descriptions, titles and analyzer errors are escaped in the page."""
    bad = "<i>x</i>&'\""
    out = "&lt;i&gt;x&lt;/i&gt;&amp;&#x27;&quot;"
    report = _report(
        session_id=bad,
        issues=(Finding(bad, Severity.LOW, bad, 1, 0.5),),
        recommendations=(Recommendation(bad, bad),),
        analyzer_errors=(AnalyzerError(bad, bad),),
    )
    page = render(report, "html")
    assert "<i>" not in page
    assert f"<title>Session report: {out}</title>" in page and f"<h1>Session report: {out}</h1>" in page
    assert (
        f"<td><code>{out}</code></td><td class='num'>1</td><td class='num'>$0.5000</td><td>{out}</td>" in page
    )
    assert f"<li><strong>{out}</strong> (saves ~0 tokens, unpriced): {out}</li>" in page
    assert f"<li><code>{out}</code>: {out}</li>" in page


def test_json_report_is_indented_unicode_and_strict() -> None:
    """JSON is indented by 2, keeps non-ASCII text as is, and refuses NaN rather than writing invalid JSON."""
    text = render(_report(task="Café ☕"), "json")
    assert text.startswith('{\n  "schema_version": 1,\n  "session_id": "s-1",\n')
    assert '"task": "Café ☕"' in text
    assert json.loads(text)["issues"][1]["carryover_tokens"] == 8_000
    broken = _report(issues=(replace(MISS, details={"ratio": math.nan}),))
    with pytest.raises(ValueError, match="JSON compliant"):
        render(broken, "json")


@pytest.mark.parametrize("alias", ["md", " Markdown ", "HTM", "txt", "TEXT", "json"])
def test_format_names_and_aliases(alias: str) -> None:
    """md/htm/txt aliases and any case or surrounding spaces pick the same renderer."""
    canonical = {"md": "markdown", "markdown": "markdown", "htm": "html", "txt": "text", "text": "text"}
    name = canonical.get(alias.strip().lower(), alias.strip().lower())
    assert render(_report(), alias) == render(_report(), name)


@pytest.mark.parametrize("fmt", ["pdf", None, 3])
def test_unknown_or_non_text_format_names_the_valid_ones(fmt: object) -> None:
    """Any other format, a non-string one included, is InvalidFormat listing json, markdown, html and text."""
    with pytest.raises(InvalidFormat, match=r"valid formats: json, markdown, html, text$"):
        render(_report(), fmt)  # type: ignore[arg-type]


def test_every_analyzer_error_is_listed() -> None:
    """Two failing analyzers are both listed, one per item, in every format."""
    report = _report(analyzer_errors=(AnalyzerError("a", "boom"), AnalyzerError("b", "bang")))
    assert "<ul><li><code>a</code>: boom</li><li><code>b</code>: bang</li></ul>" in render(report, "html")
    assert render(report, "markdown").endswith("## Analyzer errors\n\n- `a`: boom\n- `b`: bang\n")
    assert render(report, "text").endswith("analyzer error: a: boom\nanalyzer error: b: bang\n")


def test_rollup_without_a_subagent_list() -> None:
    """A roll-up that lists no subagents shows its total row and no subagent rows."""
    rows = [
        line
        for line in render(_report(subagents={"count": 2}), "text").splitlines()
        if "subagent" in line.lower()
    ]
    assert rows == [
        "Subagents    2 (rolled up, not in the figures above): 0 fresh tokens, cost unpriced, waste 0 tokens "
        "(unpriced)"
    ]
