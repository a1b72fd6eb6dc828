"""Subagent roll-up figures and cross-agent re-reads, pinned on hand-built sessions (Sonnet: $3/M in, $15/M out)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.subagents import cross_agent_rereads
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import T0, Events, session

IN, OUT = 3e-6, 15e-6
CAP = 2_000  # Claude Code's Read default line cap


def _sub(sid: str = "s1.agent-a") -> Events:
    ev = Events(sid=sid)
    ev.t = T0 + timedelta(hours=1)  # after everything the main agent did
    return ev


def _rows(main: Events, sub: Events) -> list[dict[str, Any]]:
    return cross_agent_rereads(main.items, session(sid=sub.sid), sub.items, CAP)


def _tokens(main: Events, sub: Events) -> list[int]:
    return [r["tokens"] for r in _rows(main, sub)]


def test_rollup_object_exact() -> None:
    """One priced subagent that re-read the main agent's file: every field of the roll-up, computed by hand."""
    main = Events()
    main.call(inp=1_000, out=100)
    main.read("/p/a.py", 1_000)
    sub = _sub()
    sub.read("/p/a.py", 1_000)
    sub.call(inp=2_000, out=300)
    report = analyze_events(session(), main.items, subagents=[(session(sid="s1.agent-a"), sub.items)])
    roll = dict(report.subagents)
    own_cost = 2_000 * IN + 300 * OUT  # $0.0105
    reread_usd = 1_000 * IN  # $0.003, at the input rate
    [listed] = roll.pop("sessions")
    assert roll == {
        "count": 1,
        "tokens": {
            "input_tokens": 2_000,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "output_tokens": 300,
        },
        "cost_usd": pytest.approx(own_cost, abs=1e-9),
        "waste_tokens": 1_000,
        "waste_usd": pytest.approx(reread_usd, abs=1e-9),
        "cross_agent_rereads": [
            {
                "file_path": "/p/a.py",
                "subagent_session_id": "s1.agent-a",
                "event_id": "e0",
                "tokens": 1_000,
                "usd": pytest.approx(reread_usd, abs=1e-9),
            }
        ],
    }
    assert listed == {
        "session_id": "s1.agent-a",
        "agent": "ATLAS",
        "task": "Build thing",
        "model": "sonnet",
        "cost_usd": pytest.approx(own_cost, abs=1e-9),
        "waste_tokens": 1_000,
        "waste_usd": pytest.approx(reread_usd, abs=1e-9),
        "efficiency_score": 100.0,
        "cross_agent_reread_tokens": 1_000,
    }


def test_two_subagents_sum_and_an_unpriced_one_leaves_usd_unknown() -> None:
    """Tokens and waste add up over subagents; one unpriced subagent makes the total cost and waste USD unknown."""
    main = Events()
    main.call()
    main.read("/p/a.py", 500)
    priced, unknown = _sub("s1.agent-a"), _sub("s1.agent-b")
    priced.call(inp=2_000, cr=40, cw=60, out=300)
    unknown.read("/p/a.py", 500)
    unknown.call(inp=1_000, cr=4, cw=6, out=30)
    subs = [
        (session(sid="s1.agent-a"), priced.items),
        (session(model="mystery-model-9", sid="s1.agent-b"), unknown.items),
    ]
    roll = analyze_events(session(), main.items, subagents=subs).subagents
    assert roll["count"] == 2
    assert roll["tokens"] == {
        "input_tokens": 3_000,
        "cache_read_tokens": 44,
        "cache_write_tokens": 66,
        "output_tokens": 330,
    }
    assert roll["cost_usd"] is None and roll["waste_usd"] is None
    assert roll["waste_tokens"] == 500
    a, b = roll["sessions"]
    assert (a["cost_usd"], a["waste_tokens"], a["waste_usd"]) == (
        pytest.approx(2_000 * IN + 40 * 0.3e-6 + 60 * 3.75e-6 + 300 * OUT, abs=1e-9),
        0,
        0.0,
    )
    assert (b["cost_usd"], b["waste_tokens"], b["waste_usd"]) == (None, 500, None)
    assert roll["cross_agent_rereads"][0]["usd"] is None  # no price for the subagent's model


def test_priced_then_unpriced_order_does_not_matter() -> None:
    """An unpriced subagent listed first also leaves the total cost unknown, and the priced one keeps its cost."""
    main = Events()
    main.call()
    first, second = _sub("s1.agent-b"), _sub("s1.agent-a")
    first.call(inp=10)
    second.call(inp=10, out=0)
    subs = [
        (session(model="mystery-model-9", sid="s1.agent-b"), first.items),
        (session(sid="s1.agent-a"), second.items),
    ]
    roll = analyze_events(session(), main.items, subagents=subs).subagents
    assert roll["cost_usd"] is None and roll["waste_usd"] is None
    assert roll["sessions"][1]["cost_usd"] == pytest.approx(10 * IN, abs=1e-12)


def test_unscored_subagent_has_no_score_and_rereads_list_is_capped() -> None:
    """A subagent with no model call has efficiency_score None; at most 50 re-reads are listed, all are counted."""
    main = Events()
    main.call()
    sub = _sub()
    for i in range(51):
        main.read(f"/p/f{i}.py", 10)
    for i in range(51):
        sub.read(f"/p/f{i}.py", 10)
    roll = analyze_events(session(), main.items, subagents=[(session(sid="s1.agent-a"), sub.items)]).subagents
    assert roll["sessions"][0]["efficiency_score"] is None
    assert len(roll["cross_agent_rereads"]) == 50
    assert roll["waste_tokens"] == 510 and roll["sessions"][0]["cross_agent_reread_tokens"] == 510


def test_no_subagents_no_rollup() -> None:
    """A session without subagents has an empty roll-up."""
    ev = Events()
    ev.call()
    assert dict(analyze_events(session(), ev.items).subagents) == {}


def test_range_overlap_share() -> None:
    """Main read lines 1-100; the subagent reads 51-150 (400 tokens): half was known, 200 tokens; 301 -> 150."""
    main = Events()
    main.read("/p/a.py", 800, offset=1, limit=100)
    sub = _sub()
    sub.read("/p/a.py", 400, offset=51, limit=100)
    sub.read("/p/a.py", 301, offset=51, limit=100)
    assert _tokens(main, sub) == [200, 150]  # 301 x 0.5 = 150.5, rounded half to even


def test_read_without_limit_covers_the_tool_default_cap() -> None:
    """A Read with no limit covers lines 1-2,000: lines 1,001-3,000 are half known, 1-2,000 wholly known."""
    main = Events()
    main.read("/p/a.py", 5_000, tool="Read")
    sub = _sub()
    sub.read("/p/a.py", 1_000, offset=1_001, limit=2_000, tool="Read")
    sub.read("/p/a.py", 900, tool="Read")
    sub.read("/p/a.py", 700, offset=2_001, limit=10, tool="Read")
    assert _tokens(main, sub) == [500, 900]


def test_whole_file_reads_and_tails() -> None:
    """A whole-file read (not Read) covers every line: a later tail read is known; a partial one does not cover it."""
    whole = Events()
    whole.read("/p/a.py", 800)
    sub = _sub()
    sub.read("/p/a.py", 300, offset=50)
    assert _tokens(whole, sub) == [300]
    part = Events()
    part.read("/p/a.py", 800, offset=1, limit=100)
    assert _tokens(part, sub) == []


def test_offsets_below_one_mean_the_first_line() -> None:
    """Offset 0 (or none) starts at line 1, so a read of lines 1-10 after one of 'offset 0, 10 lines' is known."""
    main = Events()
    main.read("/p/a.py", 100, offset=0, limit=10)
    sub = _sub()
    sub.read("/p/a.py", 100, offset=1, limit=10)
    sub.read("/p/a.py", 100, limit=10)
    assert _tokens(main, sub) == [100, 100]


def test_changes_and_failures_reset_what_is_known() -> None:
    """Writes and path-modifying tool calls make later reads new; failed and empty reads teach and cost nothing."""
    main = Events()
    main.read("/p/a.py", 100)
    main.read("/p/b.py", 100)
    main.read("/p/c.py", 100)
    main.add(EventType.FILE_READ, data={"file_path": "/p/d.py", "result_tokens": 100}, is_error=True)
    main.read("/p/e.py", 100)
    main.add(EventType.TOOL_CALL, data={"tool": "Bash", "modifies": ["/p/a.py", 7]})
    main.write("/p/b.py")
    sub = _sub()
    for name in "abcde":
        sub.read(f"/p/{name}.py", 100)
    sub.read("/p/e.py", 0)
    rows = _rows(main, sub)
    assert [(r["file_path"], r["tokens"]) for r in rows] == [("/p/c.py", 100), ("/p/e.py", 100)]
    assert [r["event_id"] for r in rows] == ["e2", "e4"]
    sub_write = _sub()
    sub_write.add(EventType.FILE_WRITE, data={"file_path": "/p/c.py", "tool": "Edit"})
    sub_write.read("/p/c.py", 100)
    assert _tokens(main, sub_write) == []


def test_modifies_all_forgets_every_file() -> None:
    """A command that may change any file (git checkout) makes every later subagent read new."""
    main = Events()
    main.read("/p/a.py", 100)
    main.add(EventType.TOOL_CALL, data={"tool": "Bash", "modifies_all": True})
    sub = _sub()
    sub.read("/p/a.py", 100)
    assert _tokens(main, sub) == []


def test_paths_are_normalised_and_order_is_by_time_main_first() -> None:
    """'/p/./a.py' and '/p//a.py' are one file; at the same instant the main agent's read comes first."""
    main = Events()
    main.read("/p/./a.py", 100)
    sub = Events(sid="s1.agent-a")
    sub.t = main.t - timedelta(seconds=10)  # the subagent's read lands at the main read's instant
    sub.read("/p//a.py", 100)
    assert _tokens(main, sub) == [100]
    early = Events(sid="s1.agent-a")
    early.t = main.t - timedelta(seconds=11)
    early.read("/p/a.py", 100)
    assert _tokens(main, early) == []


def test_the_subagents_own_reads_are_not_cross_agent() -> None:
    """A subagent reading a file twice that the main agent never read has no cross-agent re-read."""
    main = Events()
    main.call()
    sub = _sub()
    sub.read("/p/z.py", 100)
    sub.read("/p/z.py", 100)
    assert _rows(main, sub) == []


def test_main_compaction_does_not_hide_later_rereads() -> None:
    """A compaction of the main agent's context before the subagent's read leaves the re-read counted."""
    main = Events()
    main.read("/p/a.py", 100)
    main.add(EventType.COMPACTION, data={"trigger": "auto"})
    main.read("/p/b.py", 100)
    sub = _sub()
    sub.read("/p/a.py", 100)
    sub.read("/p/b.py", 100)
    assert _tokens(main, sub) == [100, 100]


def test_changes_to_files_never_read_are_harmless() -> None:
    """Writing or modifying a file nobody read leaves what is known about the others intact."""
    main = Events()
    main.read("/p/a.py", 100)
    main.write("/p/new.py")
    main.add(EventType.TOOL_CALL, data={"tool": "Bash", "modifies": ["/p/other.py"]})
    sub = _sub()
    sub.write("/p/fresh.py")
    sub.read("/p/a.py", 100)
    assert _tokens(main, sub) == [100]


def test_a_one_token_reread_counts() -> None:
    """Even a 1-token re-read is listed (no threshold hides small ones)."""
    main = Events()
    main.read("/p/a.py", 1)
    sub = _sub()
    sub.read("/p/a.py", 1)
    assert _tokens(main, sub) == [1]


def test_rollup_uses_the_read_default_cap() -> None:
    """Through analyze_events: a main Read with no limit covers 2,000 lines, so lines 2,001-2,010 are new."""
    main = Events()
    main.call()
    main.read("/p/a.py", 5_000, tool="Read")
    sub = _sub()
    sub.read("/p/a.py", 70, offset=2_001, limit=10, tool="Read")
    sub.read("/p/a.py", 30, offset=1_991, limit=10, tool="Read")
    roll = analyze_events(session(), main.items, subagents=[(session(sid="s1.agent-a"), sub.items)]).subagents
    assert [r["tokens"] for r in roll["cross_agent_rereads"]] == [30]


def test_rollup_usd_is_rounded_to_micro_dollars() -> None:
    """On gpt-4o-mini ($0.15/M input) an 11-token re-read is $0.00000165, kept as $0.000002."""
    main = Events()
    main.call()
    main.read("/p/a.py", 11)
    sub = _sub()
    sub.read("/p/a.py", 11)
    sub.call(inp=10, out=0)
    child = session(model="gpt-4o-mini", sid="s1.agent-a")
    roll = analyze_events(session(), main.items, subagents=[(child, sub.items)]).subagents
    assert roll["cross_agent_rereads"][0]["usd"] == pytest.approx(2e-6, abs=1e-12)
    assert roll["sessions"][0]["waste_usd"] == pytest.approx(2e-6, abs=1e-12)
    assert roll["waste_usd"] == pytest.approx(2e-6, abs=1e-12)


def test_rollup_adds_each_subagents_own_waste() -> None:
    """Two subagents each re-reading their own 1,500-token file: 3,000 waste tokens, 2 x $0.0045."""
    main = Events()
    main.call()
    subs = []
    for name in ("s1.agent-a", "s1.agent-b"):
        ev = _sub(name)
        ev.read("/p/s.py", 1_500)
        ev.read("/p/s.py", 1_500)
        ev.call(inp=10, out=1)
        subs.append((session(sid=name), ev.items))
    roll = analyze_events(session(), main.items, subagents=subs).subagents
    assert roll["waste_tokens"] == 3_000
    assert roll["waste_usd"] == pytest.approx(2 * 1_500 * IN, abs=1e-9)
    assert [s["waste_tokens"] for s in roll["sessions"]] == [1_500, 1_500]
