"""render(report, format): json/markdown/html/text, escaping untrusted content, unknown formats."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import OptimizationReport, analyze_events
from sessionoptimizer_sdk.errors import InvalidFormat
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.reporting import FORMATS, render

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)
EVIL = "<script>alert(1)</script>|`x`\x1b[31m"


def _report(task: str = "Build", path: str = "a.py") -> OptimizationReport:
    session = Session("s1", "ATLAS", task, "sonnet", SessionStatus.COMPLETED, T0, T0)
    events = [
        SessionEvent(
            f"e{i}", "s1", EventType.FILE_READ, T0, data={"file_path": path, "result_tokens": 3_000}, seq=i
        )
        for i in range(2)
    ]
    return analyze_events(session, events, now=T0)


def test_json_is_the_documented_schema() -> None:
    """The JSON format is to_dict(), strict JSON, with the issue's required keys."""
    data = json.loads(render(_report(), "json"))
    for key in (
        "session_id",
        "agent",
        "task",
        "model",
        "status",
        "provisional",
        "efficiency_score",
        "total_waste_tokens",
        "totals",
        "cost_usd",
        "active_minutes",
        "wall_minutes",
        "issues",
        "recommendations",
        "analyzer_errors",
    ):
        assert key in data
    assert set(data["totals"]) == {
        "input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
    }
    assert OptimizationReport.from_dict(data) == _report()


def test_html_escapes_untrusted_task_and_paths() -> None:
    """Task names and file paths reach the HTML only escaped; the page has no scripts or external resources."""
    page = render(_report(task=EVIL, path=EVIL), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "http" not in page.lower().replace("http-equiv", "")


def test_text_drops_terminal_escapes_and_markdown_escapes_tables() -> None:
    """The terminal format strips control characters; Markdown escapes pipes and angle brackets."""
    report = _report(task=EVIL, path=EVIL)
    assert "\x1b" not in render(report, "text")
    md = render(report, "markdown")
    assert "<script>" not in md and "\\|" in md


def test_unknown_format_names_the_valid_ones() -> None:
    """An unknown format raises InvalidFormat listing json, markdown, html and text."""
    with pytest.raises(InvalidFormat) as info:
        render(_report(), "pdf")
    assert all(name in str(info.value) for name in FORMATS)


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=40), st.sampled_from(sorted(FORMATS)))
def test_any_task_renders_in_every_format(task: str, fmt: str) -> None:
    """Whatever the task text (surrogates included), every format renders without error."""
    report = replace(_report(), task=task)
    assert render(report, fmt)
