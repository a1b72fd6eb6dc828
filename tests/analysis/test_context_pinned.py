"""What a third-party analyzer that only implements ``analyze(ctx)`` sees in its context, pinned by hand.

The spy analyzer is installed the documented way (a ``sessionoptimizer.analyzers`` entry point of an installed
distribution); every expected value below is worked out from the hand-built events, not from the code.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import AnalysisContext, analyze_events, registry
from sessionoptimizer_sdk.analysis.claims import Claim
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.context import Scan
from sessionoptimizer_sdk.models import ErrorKind, EventType, Session, SessionEvent, SessionStatus, TokenUsage
from tests.analysis._builders import T0, session

_PLUGIN = """
SEEN = []


class Spy:
    name = "spy"
    order = 7

    def analyze(self, ctx):
        SEEN.append(ctx)
        return []
"""


@pytest.fixture
def seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AnalysisContext]]:
    """Install the spy plugin as a distribution on sys.path and yield the contexts it is handed."""
    (tmp_path / "so_spy_plugin.py").write_text(_PLUGIN, encoding="utf-8")
    info = tmp_path / "so_spy_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: so-spy-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[sessionoptimizer.analyzers]\nspy = so_spy_plugin:Spy\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "so_spy_plugin", raising=False)
    registry.reset_analyzers()
    try:
        import so_spy_plugin  # type: ignore[import-not-found]

        yield so_spy_plugin.SEEN
    finally:
        registry.reset_analyzers()
        sys.modules.pop("so_spy_plugin", None)


def _ev(i: int, kind: EventType, sec: float, seq: int | None = None, **kw: Any) -> SessionEvent:
    return SessionEvent(
        id=f"e{i}",
        session_id="s1",
        event_type=kind,
        timestamp=T0 + timedelta(seconds=sec),
        seq=i if seq is None else seq,
        **kw,
    )


def _ctx(
    seen: list[AnalysisContext],
    events: Sequence[SessionEvent],
    sess: Session | None = None,
    config: AnalysisConfig | None = None,
) -> AnalysisContext:
    analyze_events(sess or session(), events, now=T0 + timedelta(hours=1), config=config)
    assert len(seen) == 1
    return seen[0]


def test_plugin_loaded_from_an_entry_point_gets_the_session_and_time_ordered_events(
    seen: list[AnalysisContext],
) -> None:
    """A registered analyze(ctx) plugin runs and sees the events sorted by time, then by seq."""
    late = _ev(0, EventType.USER_MESSAGE, 30)
    tie_b = _ev(1, EventType.USER_MESSAGE, 10, seq=5)
    tie_a = _ev(2, EventType.USER_MESSAGE, 10, seq=2)
    early = _ev(3, EventType.USER_MESSAGE, 1)
    sess = session(status=SessionStatus.ACTIVE)
    ctx = _ctx(seen, [late, tie_b, tie_a, early], sess)
    assert [e.id for e in ctx.events] == ["e3", "e2", "e1", "e0"]
    assert ctx.session is sess
    assert ctx.provisional is True
    assert ctx.now == T0 + timedelta(hours=1)
    assert "spy" in [a.name for a in registry.load_analyzers()]


def test_billed_model_calls_totals_and_content(seen: list[AnalysisContext]) -> None:
    """Billed events, model calls, compactions, totals and per-event content tokens are the hand counts."""
    events = [
        _ev(
            0,
            EventType.AI_RESPONSE,
            1,
            tokens_input=100,
            tokens_output=40,
            cache_read_tokens=1_000,
            cache_write_tokens=200,
        ),
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=5),  # output only: billed, a call
        _ev(2, EventType.TOKEN_USAGE, 3, cache_read_tokens=300),  # cache read only
        _ev(3, EventType.THINKING, 4, cache_write_tokens=7),  # cache write only
        _ev(4, EventType.FILE_READ, 5, tokens_input=70, data={"file_path": "a.py"}),  # billed, not a call
        _ev(5, EventType.AI_RESPONSE, 6),  # nothing billed: not a call
        _ev(6, EventType.COMPACTION, 7),
        _ev(7, EventType.TOOL_CALL, 8, data={"tool": "Bash", "result_tokens": 55}),
        _ev(8, EventType.FILE_WRITE, 9, tokens_input=9, data={"file_path": "b.py"}),
        _ev(9, EventType.COMPACTION, 10),
        _ev(10, EventType.USER_MESSAGE, 11, tokens_input=3),
    ]
    ctx = _ctx(seen, events)
    assert ctx.billed == [0, 1, 2, 3, 4, 8, 10]
    assert ctx.model_calls == [0, 1, 2, 3]
    assert ctx.compactions == [6, 9]
    assert ctx.totals == TokenUsage(100 + 70 + 9 + 3, 40 + 5, 1_000 + 300, 200 + 7, 0)
    # content: tool events only (logged result_tokens, else their billed input)
    assert ctx.content == [0, 0, 0, 0, 70, 0, 0, 55, 9, 0, 0]


def test_actions_tool_keys_and_edit_flag(seen: list[AnalysisContext]) -> None:
    """Each tool event becomes an action with its tool, argument key, result key and edit flag."""
    events = [
        _ev(
            0, EventType.FILE_READ, 1, data={"file_path": "a.py", "result_sha256": "h1", "result_tokens": 500}
        ),
        _ev(
            1,
            EventType.FILE_READ,
            2,
            data={"file_path": "a.py", "offset": 10, "limit": 20, "content_sha256": "h2"},
        ),
        _ev(2, EventType.FILE_READ, 3, data={"file_path": "c.py", "args_sha256": "given", "tool": "cat"}),
        _ev(3, EventType.FILE_WRITE, 4, data={"file_path": "b.py", "args_sha256": "w1"}),
        _ev(4, EventType.FILE_WRITE, 5, data={"tool": "Edit", "result_sha256": 5}),
        _ev(5, EventType.TOOL_CALL, 6, name="Grep", data={"args_sha256": 5, "result_sha256": "r"}),
        _ev(6, EventType.TOOL_CALL, 7, data={"tool": "", "args_sha256": "x"}),
        _ev(7, EventType.TOOL_CALL, 8, name="Named", data={"tool": 3}),
        _ev(8, EventType.AI_RESPONSE, 9, tokens_output=1),
    ]
    ctx = _ctx(seen, events)
    got = [(a.index, a.event.id, a.tool, a.args_key, a.result_key, a.is_edit, a.failed) for a in ctx.actions]
    assert got == [
        (0, "e0", "Read", "a.py|None|None", "h1", False, False),
        (1, "e1", "Read", "a.py|10|20", "h2", False, False),
        (2, "e2", "cat", "given", None, False, False),
        (3, "e3", "Write", "w1", None, True, False),
        (4, "e4", "Edit", None, None, True, False),
        (5, "e5", "Grep", None, "r", False, False),
        (6, "e6", "tool", "x", None, False, False),
        (7, "e7", "Named", None, None, False, False),
    ]
    assert all(a.error_kind is None and a.message is None and a.error_events == () for a in ctx.actions)


def test_failed_tool_calls_keep_message_and_kind(seen: list[AnalysisContext]) -> None:
    """A failed tool event carries its message (``error`` before ``message``) and its classified kind."""
    events = [
        _ev(
            0,
            EventType.TOOL_CALL,
            1,
            is_error=True,
            error_type="timeout",
            data={"tool": "Bash", "error": "boom", "message": "other"},
        ),
        _ev(
            1,
            EventType.TOOL_CALL,
            2,
            is_error=True,
            data={"tool": "Bash", "message": "plain failure", "error_kind": "user_rejection"},
        ),
        _ev(
            2,
            EventType.TOOL_CALL,
            3,
            is_error=True,
            data={"tool": "run_tests", "error": "", "message": "boom"},
        ),
        _ev(
            3,
            EventType.TOOL_CALL,
            4,
            is_error=True,
            data={"tool": "Bash", "message": "Permission denied: /etc"},
        ),
        _ev(4, EventType.TOOL_CALL, 5, data={"tool": "Bash", "error": "ignored: not failed"}),
    ]
    ctx = _ctx(seen, events)
    got = [(a.tool, a.failed, a.message, a.error_kind) for a in ctx.actions]
    assert got == [
        ("Bash", True, "boom", ErrorKind.TIMEOUT),
        ("Bash", True, "plain failure", ErrorKind.USER_REJECTION),
        ("run_tests", True, "boom", ErrorKind.TEST_FAILURE),
        ("Bash", True, "Permission denied: /etc", ErrorKind.PERMISSION_DENIED),
        ("Bash", False, None, None),
    ]


def test_error_events_attach_by_call_id_then_to_the_last_action(seen: list[AnalysisContext]) -> None:
    """ERROR events attach to the call they name, else to the last open action of the same tool, else stand alone."""
    events = [
        _ev(0, EventType.TOOL_CALL, 1, data={"tool": "Bash", "args_sha256": "a0"}),
        _ev(1, EventType.ERROR, 2, data={"message": "Exit code 1", "error": "x"}),  # -> e0 (last, same tool)
        _ev(2, EventType.ERROR, 3, data={"error": "second"}),  # e0 failed already: stands alone
        _ev(3, EventType.TOOL_CALL, 4, data={"tool": "Grep", "args_sha256": "g"}),
        _ev(4, EventType.ERROR, 5, name="Bash", data={"error": "wrong tool"}),  # not Grep: stands alone
        _ev(5, EventType.ERROR, 6, name="Other", data={"tool": "Grep", "error": "grep failed"}),  # -> e3
        _ev(6, EventType.ERROR, 7, data={"tool_call_id": "zzz", "message": "orphan"}),  # unknown id: alone
        _ev(7, EventType.TOOL_CALL, 8, data={"tool": "Edit", "tool_call_id": "c9"}),
        _ev(8, EventType.TOOL_CALL, 9, data={"tool": "Read", "tool_call_id": "c8"}),
        _ev(9, EventType.ERROR, 10, data={"tool_call_id": "c9", "message": "m1"}),
        _ev(10, EventType.ERROR, 11, data={"tool_call_id": "c9", "message": "m2"}),
        _ev(11, EventType.ERROR, 12, error_type="permission_denied", data={"message": "later"}),
    ]
    ctx = _ctx(seen, events)
    got = [
        (a.index, a.event.id, a.tool, a.failed, a.message, a.error_kind, a.error_events) for a in ctx.actions
    ]
    agent = ErrorKind.AGENT_ERROR
    assert got == [
        (0, "e0", "Bash", True, "Exit code 1", agent, ("e1",)),
        (2, "e2", "error", True, "second", agent, ("e2",)),
        (3, "e3", "Grep", True, "grep failed", agent, ("e5",)),
        (4, "e4", "Bash", True, "wrong tool", agent, ("e4",)),
        (6, "e6", "error", True, "orphan", agent, ("e6",)),
        (7, "e7", "Edit", True, "m1", agent, ("e9", "e10")),
        (8, "e8", "Read", False, None, None, ()),
        (11, "e11", "error", True, "later", ErrorKind.PERMISSION_DENIED, ("e11",)),
    ]
    assert [a.args_key for a in ctx.actions][:3] == ["a0", None, "g"]
    alone = [a for a in ctx.actions if a.event.event_type is EventType.ERROR]
    assert [(a.args_key, a.result_key, a.is_edit) for a in alone] == [(None, None, False)] * 4


def test_error_after_a_failed_action_and_last_action_carries_over(seen: list[AnalysisContext]) -> None:
    """A tool-less error after a standalone error still attaches to the last real action if it is open."""
    events = [
        _ev(0, EventType.TOOL_CALL, 1, data={"tool": "Bash"}),
        _ev(1, EventType.ERROR, 2, name="Grep", data={"message": "not bash"}),  # alone; last stays e0
        _ev(2, EventType.ERROR, 3, data={"message": "bash failed"}),  # -> e0
        _ev(
            3, EventType.ERROR, 4, data={"tool_call_id": "", "message": "empty id"}
        ),  # empty id is no id: alone
    ]
    ctx = _ctx(seen, events)
    got = [(a.event.id, a.tool, a.message, a.error_events) for a in ctx.actions]
    assert got == [
        ("e0", "Bash", "bash failed", ("e2",)),
        ("e1", "Grep", "not bash", ("e1",)),
        ("e3", "error", "empty id", ("e3",)),
    ]


def test_the_kind_of_an_error_event_uses_its_explicit_kind_then_the_tool(seen: list[AnalysisContext]) -> None:
    """An ERROR event's error_kind wins over its text, and a test tool's plain failure is a test failure."""
    events = [
        _ev(0, EventType.TOOL_CALL, 1, data={"tool": "Bash", "tool_call_id": "a"}),
        _ev(
            1,
            EventType.ERROR,
            2,
            data={"tool_call_id": "a", "message": "Permission denied", "error_kind": "timeout"},
        ),
        _ev(2, EventType.TOOL_CALL, 3, data={"tool": "pytest", "tool_call_id": "b"}),
        _ev(3, EventType.ERROR, 4, data={"tool_call_id": "b", "message": "exit 2"}),
        _ev(4, EventType.TOOL_CALL, 5, data={"tool": "Bash", "tool_call_id": "c"}),
        _ev(5, EventType.ERROR, 6, error_type="user_rejection", data={"tool_call_id": "c", "error": "nope"}),
    ]
    ctx = _ctx(seen, events)
    got = [(a.tool, a.message, a.error_kind) for a in ctx.actions]
    assert got == [
        ("Bash", "Permission denied", ErrorKind.TIMEOUT),
        ("pytest", "exit 2", ErrorKind.TEST_FAILURE),
        ("Bash", "nope", ErrorKind.USER_REJECTION),
    ]


def test_reported_thinking(seen: list[AnalysisContext]) -> None:
    """Reported thinking: reasoning capped at output per call, all output of a THINKING event, capped in totals."""
    events = [
        _ev(0, EventType.AI_RESPONSE, 1, tokens_output=40, reasoning_tokens=30),  # 30
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=10, reasoning_tokens=25),  # min -> 10
        _ev(2, EventType.THINKING, 3, tokens_output=50, reasoning_tokens=20),  # max -> 50
        _ev(3, EventType.THINKING, 4, tokens_output=0, reasoning_tokens=6),  # max -> 6 (output 0)
        _ev(5, EventType.THINKING, 4.5, tokens_output=12),  # all output, no reasoning -> 12
        _ev(
            4, EventType.THINKING, 5, data={"estimated_tokens": 999, "response_id": "r"}
        ),  # ignored: reported
    ]
    ctx = _ctx(seen, events)
    assert ctx.thinking_tokens == 30 + 10 + 50 + 6 + 12
    assert ctx.thinking_basis == "reported"
    assert ctx.thinking_by_response == {}
    assert ctx.totals.output_tokens == 112
    assert ctx.totals.reasoning_tokens == 108
    assert [ctx.reasoning_of(e) for e in ctx.events] == [30, 10, 50, 6, 12, 0]


def test_thinking_over_output_is_capped_in_totals(seen: list[AnalysisContext]) -> None:
    """Totals never report more reasoning than output, though thinking_tokens keeps the raw figure."""
    events = [
        _ev(0, EventType.THINKING, 1, reasoning_tokens=80, tokens_output=0),
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=20),
    ]
    ctx = _ctx(seen, events)
    assert (ctx.thinking_tokens, ctx.totals.output_tokens, ctx.totals.reasoning_tokens) == (80, 20, 20)


def test_estimated_thinking_from_stored_text(seen: list[AnalysisContext]) -> None:
    """Unreported thinking is estimated per response id from the blocks' stored estimates."""
    events = [
        _ev(0, EventType.THINKING, 1, data={"estimated_tokens": 120, "response_id": "r1"}),
        _ev(1, EventType.THINKING, 2, data={"estimated_tokens": 30, "response_id": "r1"}),
        _ev(2, EventType.THINKING, 3, data={"estimated_tokens": 45}),  # keyed by its own id
        _ev(3, EventType.THINKING, 4, data={"estimated_tokens": 8, "encrypted": True, "response_id": "r2"}),
        _ev(4, EventType.THINKING, 5, data={"redacted": True, "estimated_tokens": 500}),  # signature only
        _ev(5, EventType.THINKING, 6, data={"estimated_tokens": 0, "response_id": "r3"}),  # no guess
        _ev(6, EventType.AI_RESPONSE, 7, tokens_output=400),
    ]
    ctx = _ctx(seen, events)
    assert ctx.thinking_basis == "estimated"
    assert ctx.thinking_by_response == {"r1": 150, "e2": 45, "r2": 8}
    assert ctx.thinking_tokens == 203
    assert ctx.totals.reasoning_tokens == 203


def test_signature_only_thinking_is_not_measurable(seen: list[AnalysisContext]) -> None:
    """Only redacted or encrypted blocks without an estimate: thinking is 'not measurable', not an estimate."""
    events = [
        _ev(0, EventType.THINKING, 1, data={"encrypted": True}),
        _ev(1, EventType.THINKING, 2, data={"redacted": True}),
        _ev(2, EventType.AI_RESPONSE, 3, tokens_output=10),
    ]
    ctx = _ctx(seen, events)
    assert (ctx.thinking_basis, ctx.thinking_tokens, ctx.thinking_by_response) == ("not_measurable", 0, {})


def test_encrypted_blocks_alone_are_not_measurable(seen: list[AnalysisContext]) -> None:
    """Encrypted thinking blocks with no estimate (Codex reasoning) alone make thinking 'not measurable'."""
    events = [
        _ev(0, EventType.THINKING, 1, data={"encrypted": True, "estimated_tokens": 0}),
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=10),
    ]
    ctx = _ctx(seen, events)
    assert (ctx.thinking_basis, ctx.thinking_tokens) == ("not_measurable", 0)


def test_estimates_on_other_events_are_not_thinking(seen: list[AnalysisContext]) -> None:
    """An ``estimated_tokens`` on a non-THINKING event is no thinking estimate."""
    events = [
        _ev(0, EventType.AI_RESPONSE, 1, tokens_input=5, data={"estimated_tokens": 50, "response_id": "r"}),
        _ev(1, EventType.TOOL_CALL, 2, data={"tool": "t", "estimated_tokens": 7, "redacted": True}),
    ]
    ctx = _ctx(seen, events)
    assert (ctx.thinking_basis, ctx.thinking_tokens, ctx.thinking_by_response) == ("reported", 0, {})


def test_signatures_do_not_hide_reported_thinking(seen: list[AnalysisContext]) -> None:
    """Reported reasoning stays 'reported' even when some blocks are signature-only."""
    events = [
        _ev(0, EventType.THINKING, 1, data={"redacted": True}),
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=10, reasoning_tokens=4),
    ]
    ctx = _ctx(seen, events)
    assert (ctx.thinking_basis, ctx.thinking_tokens) == ("reported", 4)


def test_no_thinking_at_all_is_reported_zero(seen: list[AnalysisContext]) -> None:
    """A session with no thinking blocks reports 0 thinking tokens on the 'reported' basis."""
    ctx = _ctx(seen, [_ev(0, EventType.AI_RESPONSE, 1, tokens_output=10)])
    assert (ctx.thinking_basis, ctx.thinking_tokens, ctx.totals.reasoning_tokens) == ("reported", 0, 0)


def test_context_helpers(seen: list[AnalysisContext]) -> None:
    """model_of, content_tokens, content_claim and fresh_claims give the hand-derived values."""
    events = [
        _ev(
            0,
            EventType.AI_RESPONSE,
            1,
            tokens_input=11,
            cache_write_tokens=22,
            tokens_output=33,
            cache_read_tokens=44,
            data={"model": "opus"},
        ),
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=5, data={"model": ""}),
        _ev(2, EventType.FILE_READ, 3, tokens_input=70, data={"file_path": "a.py", "result_tokens": 500}),
        _ev(3, EventType.FILE_READ, 4, tokens_input=70, data={"file_path": "a.py", "result_tokens": -3}),
        _ev(4, EventType.FILE_READ, 5, tokens_input=70, data={"file_path": "a.py", "result_tokens": True}),
        _ev(5, EventType.FILE_READ, 6, tokens_input=0, data={"file_path": "a.py", "result_tokens": 0}),
    ]
    ctx = _ctx(seen, events, session(model="sonnet"))
    e0, e1, e2, e3, e4, e5 = ctx.events
    assert [ctx.model_of(e) for e in (e0, e1, e2)] == ["opus", "sonnet", "sonnet"]
    assert [ctx.content_tokens(e) for e in (e2, e3, e4, e5)] == [500, 70, 70, 0]
    assert ctx.content[2:] == [500, 70, 70, 0]
    assert ctx.content_claim(e2, 9) == Claim("e2", "content", 9)
    assert ctx.content_claim(e3, 9) == Claim("e3", "input", 9)
    assert ctx.content_claim(e5, 0) == Claim("e5", "content", 0)
    assert ctx.fresh_claims(e0) == [
        Claim("e0", "input", 11),
        Claim("e0", "cache_write", 22),
        Claim("e0", "output", 33),
    ]
    assert ctx.fresh_claims(e1) == [Claim("e1", "output", 5)]
    assert ctx.fresh_claims(e5) == []
    one = _ev(9, EventType.AI_RESPONSE, 9, tokens_input=1, cache_write_tokens=1, tokens_output=1)
    assert ctx.fresh_claims(one) == [
        Claim("e9", "input", 1),
        Claim("e9", "cache_write", 1),
        Claim("e9", "output", 1),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        (0, 0),
        (-1, None),
        (2.9, 2),
        (0.0, 0),
        (-0.5, None),
        (1e18, None),
        (True, None),
        ("7", None),
        (None, None),
    ],
)
def test_result_tokens_accepts_only_non_negative_numbers(
    seen: list[AnalysisContext], value: object, expected: int | None
) -> None:
    """A tool's logged result_tokens counts when it is a non-negative finite number, else its billed input does."""
    ctx = _ctx(
        seen, [_ev(0, EventType.TOOL_CALL, 1, tokens_input=13, data={"tool": "t", "result_tokens": value})]
    )
    assert ctx.content == [13 if expected is None else expected]


def test_settled_findings_are_visible_to_later_plugins(seen: list[AnalysisContext]) -> None:
    """The context a plugin sees carries the findings the built-ins settled before it (repeated reads here)."""
    events = [
        _ev(
            0,
            EventType.FILE_READ,
            1,
            data={"file_path": "a.py", "result_tokens": 3_000, "result_sha256": "h"},
        ),
        _ev(
            1,
            EventType.FILE_READ,
            2,
            data={"file_path": "a.py", "result_tokens": 3_000, "result_sha256": "h"},
        ),
    ]
    cfg = AnalysisConfig(large_read_tokens=2_500)
    ctx = _ctx(seen, events, config=cfg)
    assert ctx.config is cfg
    assert "repeated_file_read" in [f.type for f in ctx.findings]


def test_scan_resumes_where_it_stopped() -> None:
    """A Scan extended over events appended in two batches builds the same views as one pass over all of them."""
    first = [
        _ev(0, EventType.TOOL_CALL, 1, tokens_input=4, data={"tool": "Bash", "result_tokens": 40}),
        _ev(1, EventType.THINKING, 2, data={"redacted": True}),
    ]
    second = [
        _ev(2, EventType.ERROR, 3, data={"message": "bash failed"}),  # attaches to e0 from the first batch
        _ev(3, EventType.THINKING, 4, data={"encrypted": True}),
        _ev(4, EventType.AI_RESPONSE, 5, tokens_input=6, tokens_output=2),
    ]
    ctx = AnalysisContext(session(), list(first), AnalysisConfig(), T0, False)
    scan = Scan()
    scan.extend(ctx)
    assert (scan.done, ctx.billed, ctx.content) == (2, [0], [40, 0])
    ctx.events.extend(second)  # type: ignore[attr-defined]
    scan.extend(ctx)
    scan.finish(ctx)
    assert scan.done == 5
    assert scan.signature_only == 2
    assert ctx.billed == [0, 4]
    assert ctx.model_calls == [4]
    assert ctx.content == [40, 0, 0, 0, 0]
    assert [(a.event.id, a.failed, a.message, a.error_events) for a in ctx.actions] == [
        ("e0", True, "bash failed", ("e2",))
    ]
    assert ctx.totals == TokenUsage(10, 2, 0, 0, 0)
    assert ctx.thinking_basis == "not_measurable"


def test_analyze_context_runs_analyze_only_plugins(seen: list[AnalysisContext]) -> None:
    """analyze_context on a built context hands its events to a plugin that only implements analyze(ctx)."""
    from sessionoptimizer_sdk.analysis.engine import analyze_context

    events = [
        _ev(0, EventType.AI_RESPONSE, 1, tokens_output=3),
        _ev(1, EventType.AI_RESPONSE, 2, tokens_output=4),
    ]
    built = AnalysisContext.build(session(), events, AnalysisConfig(), T0 + timedelta(hours=1))
    analyze_context(built)
    assert [[e.id for e in ctx.events] for ctx in seen] == [["e0", "e1"]]
