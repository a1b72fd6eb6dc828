"""Issue 14 item 6: subagents rolled up beside the main agent, sidechains off the main cache chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, of_type, session
from tests.importers._import_fixtures import FIXTURES, reference_usage


def test_rollup_sums_subagents_and_finds_cross_agent_rereads() -> None:
    """Main reads a.py (1,000 tokens); its subagent reads it again unchanged: a 1,000-token cross-agent re-read."""
    main = Events()
    main.call(inp=1_000, out=100)
    main.read("/p/a.py", 1_000)
    sub = Events(sid="s1.agent-1")
    sub.t = main.t
    sub.read("/p/a.py", 1_000)
    sub.call(inp=2_000, out=300)
    child = session(sid="s1.agent-1")
    report = analyze_events(session(), main.items, subagents=[(child, sub.items)])
    roll = report.subagents
    assert roll["count"] == 1 and roll["tokens"]["input_tokens"] == 2_000
    assert roll["cost_usd"] == pytest.approx(2_000 * 3e-6 + 300 * 15e-6)  # Sonnet 4.5: $3 in, $15 out per M
    [row] = roll["cross_agent_rereads"]
    assert (row["file_path"], row["tokens"]) == ("/p/a.py", 1_000)
    assert row["usd"] == pytest.approx(1_000 * 3e-6)
    assert roll["waste_tokens"] == 1_000
    assert report.totals.input_tokens == 1_000  # the main agent's own figures are unchanged
    assert report.to_dict()["subagents"]["sessions"][0]["session_id"] == "s1.agent-1"


def test_write_by_main_before_the_subagent_read_is_not_a_reread() -> None:
    """The main agent edits a.py after reading it: the subagent's later read is of a new version."""
    main = Events()
    main.read("/p/a.py", 1_000)
    main.write("/p/a.py")
    sub = Events(sid="s1.agent-1")
    sub.t = main.t
    sub.read("/p/a.py", 1_000)
    report = analyze_events(session(), main.items, subagents=[(session(sid="s1.agent-1"), sub.items)])
    assert report.subagents["cross_agent_rereads"] == []


def test_sidechain_turns_do_not_break_the_main_cache_chain() -> None:
    """A subagent turn (sidechain) with its own small cache between two main calls is not a main cache miss."""
    ev = Events()
    ev.call(cw=20_000)
    ev.call(cr=0, cw=3_000, data={"sidechain": True})
    ev.call(cr=20_000, cw=500)
    assert of_type(analyze_events(session(), ev.items), "cache_miss") == []
    plain = Events()
    plain.call(cw=20_000)
    plain.call(cr=0, cw=3_000)
    assert (
        len(of_type(analyze_events(session(), plain.items), "cache_miss")) == 1
    )  # same shape unmarked: a miss


def test_claude_sidechain_lines_are_marked(tmp_path: Path) -> None:
    """Claude Code lines with isSidechain true produce responses marked sidechain."""
    usage = {"input_tokens": 5, "output_tokens": 5}
    line = {
        "type": "assistant",
        "sessionId": "s",
        "uuid": "u1",
        "requestId": "r1",
        "isSidechain": True,
        "timestamp": "2026-01-21T10:00:00Z",
        "message": {
            "id": "m1",
            "model": "claude-sonnet-4-5",
            "content": [],
            "usage": usage,
            "stop_reason": "end_turn",
        },
    }
    path = tmp_path / "sess.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    [resp] = [e for e in load_transcript(path).events if e.event_type is EventType.AI_RESPONSE]
    assert resp.data["sidechain"] is True


def test_real_session_rolls_up_its_subagents_folder() -> None:
    """The shared session 0ccf1a04 with 5 subagent transcripts: the roll-up's tokens equal their independent sums."""
    root = FIXTURES / "claude-code-session-share"
    main = load_transcript(root / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl")
    files = sorted((root / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68" / "subagents").glob("agent-*.jsonl"))
    subs = [load_transcript(p) for p in files]
    assert all(s.session.metadata["parent_session_id"] == main.session.id for s in subs)
    report = analyze_events(main.session, main.events, subagents=[(s.session, s.events) for s in subs])
    ref = [reference_usage(p) for p in files]
    assert report.subagents["count"] == len(files) == 5
    assert report.subagents["tokens"] == {
        "input_tokens": sum(r[0] for r in ref),
        "output_tokens": sum(r[1] for r in ref),
        "cache_read_tokens": sum(r[2] for r in ref),
        "cache_write_tokens": sum(r[3] for r in ref),
    }


def test_stored_analysis_finds_the_subagents_of_a_session(tmp_path: Path) -> None:
    """Imported into a real SQLite store, the parent's stored analysis rolls up its 5 subagent sessions."""
    from sessionoptimizer_sdk.analysis.stored import analyze_stored
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    root = FIXTURES / "claude-code-session-share"
    main = load_transcript(root / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl")
    files = sorted((root / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68" / "subagents").glob("agent-*.jsonl"))
    store = SQLiteStore(tmp_path / "so.db")
    try:
        for imported in [main, *(load_transcript(p) for p in files)]:
            store.create_session(imported.session)
            store.insert_events(imported.events)
        report = analyze_stored(store, main.session.id)
    finally:
        store.close()
    assert report.subagents["count"] == 5
    assert {s["session_id"] for s in report.subagents["sessions"]} == {
        f"{main.session.id}.{p.stem}" for p in files
    }


def test_the_public_analyze_rolls_up_subagents_as_the_rest_api_does(tmp_path: Path) -> None:
    """``SessionOptimizer.analyze`` (CLI analyze, export, compare) includes the 5 subagents' roll-up and its cost."""
    from sessionoptimizer_sdk import SessionOptimizer

    root = FIXTURES / "claude-code-session-share"
    main = load_transcript(root / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl")
    files = sorted((root / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68" / "subagents").glob("agent-*.jsonl"))
    subs = [load_transcript(p) for p in files]
    optimizer = SessionOptimizer(tmp_path / "home")
    try:
        for imported in [main, *subs]:
            optimizer.store.create_session(imported.session)
            optimizer.store.insert_events(imported.events)
        report = optimizer.analyze(main.session.id)
    finally:
        optimizer.shutdown()
    expected = analyze_events(main.session, main.events, subagents=[(s.session, s.events) for s in subs])

    def by_id(rollup: dict[str, object]) -> dict[str, object]:
        return {**rollup, "sessions": sorted(rollup["sessions"], key=lambda s: s["session_id"])}  # type: ignore[call-overload]

    assert report.subagents["count"] == 5
    assert by_id(report.to_dict()["subagents"]) == by_id(expected.to_dict()["subagents"])
    assert report.cost_usd == expected.cost_usd
