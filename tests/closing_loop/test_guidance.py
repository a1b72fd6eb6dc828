"""Guidance from findings: aggregation across sessions, ranking by money, formats, and the marked block."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.guidance import build_guidance
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import InvalidFormat, InvalidInputError
from sessionoptimizer_sdk.reporting.guidance import (
    BEGIN_MARKER,
    END_MARKER,
    apply_block,
    remove_block,
    render_guidance,
)
from sessionoptimizer_sdk.store import open_store
from tests._paths import FIXTURES
from tests.analysis._builders import Events, session

ROOT = "/home/dev/proj"


def _finding(kind: str, usd: float | None, tokens: int, **details: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "severity": "MEDIUM",
        "description": kind,
        "waste_tokens": tokens,
        "waste_usd": usd,
        "details": details,
    }


def _report(
    sid: str,
    findings: list[dict[str, Any]],
    *,
    agent: str = "ATLAS",
    provisional: bool = False,
    recs: list[dict[str, Any]] | None = None,
) -> OptimizationReport:
    return OptimizationReport.from_dict(
        {
            "session_id": sid,
            "agent": agent,
            "provisional": provisional,
            "issues": findings,
            "recommendations": recs or [],
            "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        }
    )


def _reports() -> list[OptimizationReport]:
    reread = "repeated_file_read"
    denied = {
        "title": "Allow-list the denied commands",
        "detail": "2 tool call(s) were denied by permissions (Bash: rm -rf build, Bash: curl -H token=abc123); "
        "these are not agent mistakes.",
        "issue_types": ["high_error_rate"],
    }
    return [
        _report(
            "s1",
            [
                _finding(
                    reread, 0.10, 1_000, file_path=f"{ROOT}/src/app.py", redundant_reads=2, ranges=["1-100"]
                ),
                _finding("retry_loop", 0.30, 4_000, tool="Bash", attempts=4),
            ],
            recs=[denied],
        ),
        _report(
            "s2",
            [
                _finding(
                    reread, 0.05, 500, file_path=f"{ROOT}/src/app.py", redundant_reads=1, ranges=["1-100"]
                ),
                _finding("cache_miss", 0.02, 9_000, cause="idle", misses=3),
                _finding("cache_miss", 0.50, 9_000, cause="model_switch", misses=1),
            ],
        ),
        _report("s3", [_finding(reread, 9.0, 90_000, file_path=f"{ROOT}/x.py")], provisional=True),
        _report("s4", [_finding(reread, 9.0, 90_000, file_path=f"{ROOT}/x.py")], agent="OTHER"),
    ]


def test_items_aggregate_across_sessions_and_rank_by_money() -> None:
    """Retry ($0.30) before app.py ($0.10 + $0.05 in 2 sessions), cache TTL ($0.02), then the unpriced denials."""
    g = build_guidance("ATLAS", _reports(), days=14, root=ROOT)
    assert g.sessions_analyzed == 2  # provisional and other agents' reports are left out
    assert [(i.kind, i.subject) for i in g.items] == [
        ("retry_command", "Bash"),
        ("reread_file", "src/app.py"),
        ("cache_ttl", "prompt cache"),
        ("denied_command", "Bash: curl -H token=…"),
        ("denied_command", "Bash: rm -rf build"),
    ]
    app = g.items[1]
    assert (app.sessions, app.occurrences, app.waste_tokens) == (2, 3, 1_500)
    assert app.waste_usd == pytest.approx(0.15)
    assert g.items[0].occurrences == 3  # 4 attempts = 3 retries
    assert g.waste_usd == pytest.approx(0.30 + 0.15 + 0.02)


def test_min_sessions_keeps_only_recurring_items_and_max_items_caps() -> None:
    """With min_sessions=2 only app.py (in both sessions) remains; max_items=1 keeps the costliest."""
    g = build_guidance("ATLAS", _reports(), days=14, root=ROOT, min_sessions=2)
    assert [i.subject for i in g.items] == ["src/app.py"] and g.skipped == 4
    assert [i.subject for i in build_guidance("ATLAS", _reports(), days=14, max_items=1).items] == ["Bash"]


def test_claude_md_block_holds_agent_items_only_and_no_secrets() -> None:
    """The CLAUDE.md block lists agent-actionable items between markers; the cache setting and secrets stay out."""
    block = render_guidance(build_guidance("ATLAS", _reports(), days=14, root=ROOT), "claude-md")
    assert block.startswith(BEGIN_MARKER) and block.endswith(END_MARKER + "\n")
    assert "`src/app.py`" in block and "`Bash`" in block and "rm -rf build" in block
    assert "TTL" not in block and "abc123" not in block
    assert "sed -n" in render_guidance(build_guidance("ATLAS", _reports(), days=14), "agents-md")


def test_json_and_text_formats_and_unknown_format() -> None:
    """JSON carries every item with its audience; text numbers them; an unknown format is InvalidFormat."""
    g = build_guidance("ATLAS", _reports(), days=14, root=ROOT)
    data = json.loads(render_guidance(g, "json"))
    assert [i["for"] for i in data["items"]] == ["agent", "agent", "settings", "agent", "agent"]
    assert render_guidance(g, "text").splitlines()[2].startswith("1. [agent] When a `Bash` call fails")
    with pytest.raises(InvalidFormat):
        render_guidance(g, "yaml")


def test_apply_block_is_idempotent_and_never_touches_the_rest() -> None:
    """Appending, re-applying and replacing the block change only the text between the markers."""
    doc = "# Project\n\nUse tabs.\n"
    block1 = f"{BEGIN_MARKER}\none\n{END_MARKER}\n"
    block2 = f"{BEGIN_MARKER}\ntwo\n{END_MARKER}\n"
    once = apply_block(doc, block1)
    assert once == doc + "\n" + block1
    assert apply_block(once, block1) == once
    tail = once + "\n## Later notes\nkeep me\n"
    replaced = apply_block(tail, block2)
    assert replaced == doc + "\n" + block2 + "\n## Later notes\nkeep me\n"
    assert remove_block(replaced) == doc + "\n" + "\n## Later notes\nkeep me\n"


def test_damaged_markers_are_refused() -> None:
    """Two begin markers, or an end before the begin, raise InvalidInputError instead of guessing."""
    for bad in (f"{BEGIN_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n", f"{END_MARKER}\nx\n{BEGIN_MARKER}\n"):
        with pytest.raises(InvalidInputError):
            apply_block(bad, f"{BEGIN_MARKER}\n{END_MARKER}\n")


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")
def test_advise_on_real_sessions_applies_to_a_copy(backend_env: str, home: Path, tmp_path: Path) -> None:
    """On real Claude Code transcripts: advise sums each file's re-read findings, and --apply --write is idempotent."""
    runner = CliRunner()
    base = ["--home", str(home)]
    folder = FIXTURES / "claude-code-sniffly"
    res = runner.invoke(
        cli, [*base, "import", "claude-code", str(folder), "--agent", "REAL"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.stderr
    days = str((datetime.now(UTC) - datetime(2024, 1, 1, tzinfo=UTC)).days)
    listed = json.loads(
        runner.invoke(cli, [*base, "list", "--agent", "REAL", "-n", "100", "--format", "json"]).stdout
    )
    expected: dict[str, float] = {}
    for s in listed["sessions"]:
        rep = json.loads(runner.invoke(cli, [*base, "analyze", s["id"], "--format", "json"]).stdout)
        for f in rep["issues"]:
            if f["type"] == "repeated_file_read":
                key = f["details"]["file_path"]
                expected[key] = expected.get(key, 0.0) + (f["waste_usd"] or 0.0)
    assert expected, "the fixture has exact re-reads"
    out = runner.invoke(
        cli, [*base, "advise", "REAL", "--days", days, "--format", "json"], catch_exceptions=False
    )
    got = {
        i["subject"]: i["waste_usd"] for i in json.loads(out.stdout)["items"] if i["kind"] == "reread_file"
    }
    assert got == pytest.approx(expected)
    target = tmp_path / "CLAUDE.md"
    target.write_text("# Music project\n\nRun `make test` before committing.\n")
    os.chmod(target, 0o640)
    dry = runner.invoke(cli, [*base, "advise", "REAL", "--days", days, "--apply", str(target)])
    assert dry.exit_code == 0 and "dry run" in dry.stdout and target.read_text().count(BEGIN_MARKER) == 0
    wrote = runner.invoke(cli, [*base, "advise", "REAL", "--days", days, "--apply", str(target), "--write"])
    assert wrote.exit_code == 0, wrote.stderr
    text = target.read_text()
    assert text.startswith("# Music project\n\nRun `make test` before committing.\n\n" + BEGIN_MARKER)
    assert "ai_music.py" in text and target.stat().st_mode & 0o777 == 0o640
    again = runner.invoke(cli, [*base, "advise", "REAL", "--days", days, "--apply", str(target), "--write"])
    assert "already up to date" in again.stdout and target.read_text() == text
    store = open_store(backend_env, Settings.from_env(home))  # the one write was recorded as an enablement
    assert [(e["kind"], e["action"]) for e in store.list_enablements("REAL")] == [("guidance", "enabled")]
    store.close()


def test_advise_bad_input_is_refused_and_changes_nothing(home: Path, tmp_path: Path) -> None:
    """--write without --apply, a missing folder and damaged markers exit 2 and leave files untouched."""
    runner = CliRunner()
    base = ["--home", str(home), "advise", "ATLAS"]
    assert runner.invoke(cli, [*base, "--write"]).exit_code == 2
    missing = runner.invoke(cli, [*base, "--apply", str(tmp_path / "nope" / "CLAUDE.md"), "--write"])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr
    damaged = tmp_path / "CLAUDE.md"
    text = f"# x\n{END_MARKER}\n{BEGIN_MARKER}\n"
    damaged.write_text(text)
    result = runner.invoke(cli, [*base, "--apply", str(damaged), "--write"])
    assert result.exit_code == 2 and "markers are damaged" in result.stderr
    assert damaged.read_text() == text


def test_large_read_item_names_the_range_the_agent_used() -> None:
    """The large-read item carries the line range named by the analysis' advice (lines 120-180 here)."""
    big = _finding("large_uncompressed_read", 0.08, 6_000, file_path=f"{ROOT}/src/big.py", reads=2)
    rec = {
        "title": "Shrink reads of big.py",
        "detail": "Read lines 120-180 of big.py (the range used) instead of the whole file.",
        "issue_types": ["large_uncompressed_read"],
    }
    [item] = build_guidance("ATLAS", [_report("s9", [big], recs=[rec])], days=7, root=ROOT).items
    assert (item.kind, item.subject, item.occurrences) == ("large_read", "src/big.py", 2)
    assert item.instruction.endswith("the lines used were 120-180.")


def test_large_read_range_comes_through_from_the_real_analysis() -> None:
    """Analyzing a whole-file read plus a window of lines 200-260, the guidance item names 200-260."""
    ev = Events()
    ev.read(f"{ROOT}/renderer.py", 8_000)
    ev.read(f"{ROOT}/renderer.py", 300, offset=200, limit=61)
    report = analyze_events(session(), ev.items)
    items = [i for i in build_guidance("ATLAS", [report], days=7, root=ROOT).items if i.kind == "large_read"]
    assert [i.subject for i in items] == ["renderer.py"]
    assert "the lines used were 200-260" in items[0].instruction
