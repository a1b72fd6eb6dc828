"""Truth on the real public transcripts in ../shared/fixtures/sessions (read in place)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import of_type
from tests.analysis._fixture_loader import (
    FIXTURES,
    claude_code_paths,
    load_claude_code,
    load_swe_agent,
    swe_agent_paths,
)

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")
_SNIFFLY = FIXTURES / "claude-code-sniffly" / "-Users-chip-dev-ai-music"


def _ids(paths: list[Path]) -> list[str]:
    return [p.name[:20] for p in paths]


@pytest.mark.parametrize("path", claude_code_paths(), ids=_ids(claude_code_paths()))
def test_no_reread_after_an_edit_is_flagged(path: Path) -> None:
    """No flagged re-read follows a write/edit of its file since the read it repeats."""
    session, events = load_claude_code(path)
    report = analyze_events(session, events)
    ordered = sorted(events, key=lambda e: (e.timestamp, e.seq))
    position = {e.id: i for i, e in enumerate(ordered)}
    for f in of_type(report, "repeated_file_read"):
        reads = sorted(position[i] for i in f.evidence)
        path_ = f.details["file_path"]
        between = ordered[reads[0] : reads[-1]]
        assert not any(
            e.event_type is EventType.FILE_WRITE and e.data.get("file_path") == path_ for e in between
        )
    assert report.analyzer_errors == ()


def test_windowed_reread_after_edits_is_not_flagged() -> None:
    """In the ai-music session, diverse_musical_ai.py is re-read (offset 350) only after edits: not waste."""
    session, events = load_claude_code(_SNIFFLY / "d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl")
    flagged = {f.details["file_path"] for f in of_type(analyze_events(session, events), "repeated_file_read")}
    assert not any(p.endswith("diverse_musical_ai.py") for p in flagged)


@pytest.mark.parametrize("path", claude_code_paths(), ids=_ids(claude_code_paths()))
def test_test_reruns_after_edits_are_not_loops(path: Path) -> None:
    """Real Claude Code sessions (script re-runs after edits, retries after rejections) have no retry loop."""
    session, events = load_claude_code(path)
    assert of_type(analyze_events(session, events), "retry_loop") == []


def test_user_rejections_are_not_agent_errors() -> None:
    """The git-push session's two errors are user rejections: error rate 0, nothing flagged."""
    session, events = load_claude_code(_SNIFFLY / "fed8ce56-bc79-401f-a83e-af084253362f.jsonl")
    report = analyze_events(session, events)
    assert report.metrics["user_rejections"] == 2
    assert report.metrics["error_rate"] == 0.0
    assert of_type(report, "high_error_rate") == []


def test_permission_denials_on_a_real_session_are_configuration_not_errors() -> None:
    """The same real session with its failures turned into permission denials gets allow-list advice, no flag."""
    session, events = load_claude_code(_SNIFFLY / "fed8ce56-bc79-401f-a83e-af084253362f.jsonl")
    denied = [
        replace(e, data={**e.data, "message": "Permission to use Bash has been denied."}) if e.is_error else e
        for e in events
    ]
    report = analyze_events(session, denied)
    assert of_type(report, "high_error_rate") == []
    assert any(r.title == "Allow-list the denied commands" for r in report.recommendations)


def test_pydicom_byte_identical_retries_are_flagged() -> None:
    """SWE-agent pydicom-1458: three consecutive rejected edits (two byte-identical) are one retry loop."""
    [path] = [p for p in swe_agent_paths() if "pydicom" in p.name]
    session, events = load_swe_agent(path)
    report = analyze_events(session, events)
    [loop] = of_type(report, "retry_loop")
    assert {"step5:action", "step6:action", "step7:action"} <= set(loop.evidence)
    assert loop.details["identical_repeats"] >= 1
    input_total = report.totals.input_tokens
    assert (
        0.10 * input_total < loop.waste_tokens < 0.40 * input_total
    )  # ~25% of the run's input (domain notes)


@pytest.mark.parametrize("path", swe_agent_paths(), ids=_ids(swe_agent_paths()))
def test_swe_agent_runs_without_caching_have_no_cache_misses(path: Path) -> None:
    """GPT-4 runs never cached, so no call is a cache miss."""
    session, events = load_swe_agent(path)
    assert of_type(analyze_events(session, events), "cache_miss") == []
