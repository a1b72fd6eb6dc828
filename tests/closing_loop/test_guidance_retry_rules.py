"""Guidance from retry_loop findings: the instruction follows the finding's rule, and each repeated call counts once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.guidance import build_guidance
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.reporting.guidance import render_guidance
from tests.analysis._builders import Events, session

FAILING_BASH = (
    "When a `Bash` call fails, read the error and change the call before running it again; never repeat an "
    "identical failing call more than once."
)
REPEAT_GREP = (
    "Do not repeat an identical `Grep` call: its result is already in your context; use it, and call again only "
    "after something it depends on changed."
)
REREAD_APP = (
    "`src/app.py`: its content stays in your context after you read it. Read it again only after it was "
    "edited; for more of it, read only lines you have not read yet."
)


def _f(kind: str, usd: float | None, tokens: int, evidence: list[str], **details: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "severity": "MEDIUM",
        "description": kind,
        "waste_tokens": tokens,
        "waste_usd": usd,
        "evidence": evidence,
        "details": details,
    }


def _r(sid: str, findings: list[dict[str, Any]]) -> OptimizationReport:
    return OptimizationReport.from_dict(
        {
            "session_id": sid,
            "agent": "ATLAS",
            "issues": findings,
            "recommendations": [],
            "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        }
    )


def test_identical_successful_calls_get_repeat_advice_not_failure_advice() -> None:
    """An 'identical' retry_loop of successful Grep calls says to reuse the result, never 'when it fails'."""
    report = _r(
        "s",
        [_f("retry_loop", 0.02, 500, ["e1", "e2", "e3", "e4"], rule="identical", tool="Grep", attempts=4)],
    )
    [item] = build_guidance("ATLAS", [report], days=1).items
    assert (item.kind, item.subject, item.instruction, item.occurrences) == (
        "repeat_call",
        "Grep",
        REPEAT_GREP,
        3,
    )
    assert (
        item.detail
        == "identical calls with an unchanged result repeated 3 time(s) in 1 session(s); $0.02, 500 tokens"
    )
    assert "fails" not in render_guidance(build_guidance("ATLAS", [report], days=1), "claude-md")


def test_a_failing_run_also_found_identical_counts_its_retries_once() -> None:
    """Bash failing 4 times identically (a 'failing' and an 'identical' finding on the same calls) is 3 retries."""
    calls = ["b1", "b2", "b3", "b4"]
    findings = [
        _f("retry_loop", 0.01, 300, calls, rule="failing", tool="Bash", attempts=4),
        _f("retry_loop", 0.0, 0, calls, rule="identical", tool="Bash", attempts=4),
    ]
    [item] = build_guidance("ATLAS", [_r("s1", findings), _r("s2", findings)], days=1).items
    assert (item.kind, item.instruction) == ("retry_command", FAILING_BASH)
    assert (item.sessions, item.occurrences, item.waste_tokens, item.waste_usd) == (2, 6, 600, 0.02)
    assert item.detail == "failing retries 6 time(s) in 2 session(s); $0.02, 600 tokens"


def test_identical_rereads_of_an_unchanged_file_are_one_reread_item_with_their_cost() -> None:
    """Identical Reads that are also re-reads give the re-read advice once, with the cost the retry finding took."""
    reads = ["r1", "r2", "r3", "r4"]
    findings = [
        _f("retry_loop", 0.08, 26_736, reads, rule="identical", tool="Read", attempts=4),
        _f(
            "repeated_file_read",
            0.05,
            0,
            reads,
            file_path="/p/src/app.py",
            redundant_reads=3,
            ranges=["1-2000"],
        ),
    ]
    g = build_guidance("ATLAS", [_r("s1", findings), _r("s2", findings)], days=1, root="/p")
    [item] = g.items
    assert (item.kind, item.instruction, item.occurrences, item.sessions) == ("reread_file", REREAD_APP, 6, 2)
    assert (item.waste_tokens, item.waste_usd) == (2 * 26_736, 0.26)  # 2 x ($0.08 + $0.05)
    assert item.detail == "re-read unchanged 6 time(s) in 2 session(s) (lines 1-2000); $0.26, 53,472 tokens"


def test_identical_and_failing_runs_on_different_calls_are_separate_items() -> None:
    """A Bash failing run and a later, separate identical Bash run (other calls) each count their own retries."""
    findings = [
        _f("retry_loop", 0.01, 100, ["a1", "a2", "a3"], rule="failing", tool="Bash", attempts=3),
        _f(
            "retry_loop", 0.01, 100, ["c1", "c2", "c3", "c4", "c5"], rule="identical", tool="Bash", attempts=5
        ),
    ]
    items = {
        (i.kind, i.subject): i.occurrences for i in build_guidance("ATLAS", [_r("s", findings)], days=1).items
    }
    assert items == {("retry_command", "Bash"): 2, ("repeat_call", "Bash"): 4}


def test_a_reread_item_without_tokens_shows_its_priced_cache_reads() -> None:
    """A re-read whose only cost is cache reads carried over shows its USD instead of 'no token cost counted'."""
    report = _r("s", [_f("repeated_file_read", 0.05, 0, ["x"], file_path="/p/a.py", redundant_reads=1)])
    [item] = build_guidance("ATLAS", [report], days=1, root="/p").items
    assert (
        item.detail
        == "re-read unchanged 1 time(s) in 1 session(s) (lines all); $0.05 (no fresh tokens counted)"
    )


def test_rules_from_a_real_analysis() -> None:
    """Analyzed events: 4 failing identical pytest runs and 4 identical greps give 3 failing retries and 3 repeats."""
    ev = Events()
    for _ in range(4):
        ev.call(inp=100, out=20)
        ev.tool("Bash", "pytest", error="exit 1: 1 failed", result="f1")
    for _ in range(4):
        ev.call(inp=100, out=20)
        ev.tool("Grep", "todo", result="g1")
    ev.call(inp=100, out=20)
    report = analyze_events(session(), ev.items)
    rules = sorted((f.details["rule"], f.details["tool"]) for f in report.issues if f.type == "retry_loop")
    assert rules == [("failing", "Bash"), ("identical", "Bash"), ("identical", "Grep")]  # the overlap exists
    items = {
        (i.kind, i.subject): (i.occurrences, i.instruction)
        for i in build_guidance("ATLAS", [report], days=1).items
    }
    assert items[("retry_command", "Bash")] == (3, FAILING_BASH)
    assert items[("repeat_call", "Grep")] == (3, REPEAT_GREP)
    assert ("repeat_call", "Bash") not in items and ("retry_command", "Grep") not in items


def _transcript(path: Path, sid: str) -> None:
    """A Claude Code transcript: the same whole-file Read 4 times (unchanged), then `pytest` failing 4 times."""
    lines: list[dict[str, Any]] = []
    parent: str | None = None

    def add(entry: dict[str, Any]) -> None:
        nonlocal parent
        uid = str(uuid.uuid4())
        stamp = f"2026-11-30T10:00:{len(lines):02d}.000Z"
        entry.update(parentUuid=parent, uuid=uid, sessionId=sid, cwd="/home/dev/proj", timestamp=stamp)
        entry.update(version="2.1.0", isSidechain=False, userType="external")
        parent = uid
        lines.append(entry)

    def tool(name: str, args: dict[str, Any], result: str, is_error: bool) -> None:
        tid = "toolu_" + uuid.uuid4().hex[:20]
        usage = {"input_tokens": 10, "cache_creation_input_tokens": 500, "cache_read_input_tokens": 20_000}
        message: dict[str, Any] = {
            "id": "msg_" + uuid.uuid4().hex[:10],
            "type": "message",
            "role": "assistant",
        }
        message.update(
            model="claude-sonnet-4-20250514", stop_reason="tool_use", usage={**usage, "output_tokens": 50}
        )
        message["content"] = [{"type": "tool_use", "id": tid, "name": name, "input": args}]
        add({"type": "assistant", "requestId": "req_" + uuid.uuid4().hex[:10], "message": message})
        content = [{"tool_use_id": tid, "type": "tool_result", "content": result, "is_error": is_error}]
        add({"type": "user", "message": {"role": "user", "content": content}})

    add({"type": "user", "message": {"role": "user", "content": "fix the app"}})
    body = "\n".join(f"{i:>6}\tline {i} of app " + "x" * 60 for i in range(1, 400))
    for _ in range(4):
        tool("Read", {"file_path": "/home/dev/proj/src/app.py"}, body, False)
    for _ in range(4):
        tool(
            "Bash",
            {"command": "pytest -x tests"},
            "Exit code 1\nFAILED tests/test_app.py::test_x\n1 failed",
            True,
        )
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")


def test_claude_code_sessions_count_each_reread_and_retry_once(tmp_path: Path) -> None:
    """Two imported sessions (3 re-reads and 3 failing retries each): 6 and 6, with re-read (not failure) advice."""
    reports = []
    for n in (1, 2):
        path = tmp_path / f"s{n}.jsonl"
        _transcript(path, f"{n}1111111-1111-1111-1111-111111111111")
        imported = load_transcript(path, agent="ATLAS")
        reports.append(analyze_events(imported.session, imported.events))
    reread_cost = sum(
        f.waste_tokens
        for r in reports
        for f in r.issues
        if f.type == "repeated_file_read" or (f.type == "retry_loop" and f.details["tool"] == "Read")
    )
    items = build_guidance("ATLAS", reports, days=1, root="/home/dev/proj").items
    by_kind = {(i.kind, i.subject): i for i in items}
    assert set(by_kind) == {
        ("reread_file", "src/app.py"),
        ("large_read", "src/app.py"),
        ("retry_command", "Bash"),
    }
    assert (
        by_kind[("reread_file", "src/app.py")].occurrences,
        by_kind[("retry_command", "Bash")].occurrences,
    ) == (6, 6)
    assert by_kind[("reread_file", "src/app.py")].instruction == REREAD_APP
    assert by_kind[("reread_file", "src/app.py")].waste_tokens == reread_cost > 0
