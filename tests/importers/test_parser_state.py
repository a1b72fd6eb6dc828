"""Resumable parser state: cursors saved in today's JSON shape still resume an import mid-file exactly.

The transcripts are hand-built in the shapes of Claude Code 2.0.x JSONL and Codex CLI 0.46 rollouts; each
literal state below is written out by hand in the format cursors have been saved in, so older cursors keep
resuming after the parser state became a dataclass.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk.importers.claude_code import ClaudeCodeParser
from sessionoptimizer_sdk.importers.codex import CodexParser
from sessionoptimizer_sdk.importers.runner import import_paths
from sessionoptimizer_sdk.models import TokenUsage
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 21, 10, 0, tzinfo=UTC).timestamp()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, UTC).isoformat().replace("+00:00", "Z")


def _sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- Claude Code ---------------------------------------------------------------------------------------
CC_MODEL = "claude-sonnet-4-5"


def _cc(kind: str, n: int, at: float, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    base = {"type": kind, "sessionId": "sess-resume", "uuid": f"u{n}", "cwd": "/work/proj"}
    return {**base, "version": "2.0.30", "timestamp": _iso(at), "message": message, **extra}


def _cc_reply(
    n: int, at: float, mid: str, usage: tuple[int, int, int, int], stop: str | None, block: Any
) -> Any:
    i, o, cr, cw = usage
    tokens = {"input_tokens": i, "output_tokens": o, "cache_read_input_tokens": cr}
    tokens["cache_creation_input_tokens"] = cw
    message = {"id": mid, "model": CC_MODEL, "role": "assistant", "stop_reason": stop, "usage": tokens}
    return _cc("assistant", n, at, {**message, "content": [block]}, requestId=f"req-{mid}")


READ = {"type": "tool_use", "id": "toolu1", "name": "Read", "input": {"file_path": "/work/proj/a.py"}}
CC_HEAD = [  # the cursor was saved after these lines
    _cc("user", 1, 0, {"role": "user", "content": "fix the bug"}),
    _cc_reply(2, 5, "msg1", (100, 1, 0, 50), None, READ),  # stream-start placeholder output
]
CC_TAIL = [
    _cc_reply(3, 6, "msg1", (100, 30, 0, 50), "tool_use", {"type": "text", "text": "reading"}),
    _cc(
        "user",
        4,
        8,
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu1", "content": "x"}]},
    ),
    _cc_reply(5, 10, "msg2", (10, 20, 150, 0), "end_turn", {"type": "text", "text": "done"}),
]
CC_STATE: dict[str, Any] = {  # today's cursor shape after CC_HEAD
    "sid": "sess-resume",
    "parent": None,
    "meta": {"cwd": "/work/proj", "claude_code_version": "2.0.30", "project": "proj"},
    "first": T0,
    "last": T0 + 5,
    "models": {CC_MODEL: 1},
    "task": "",
    "counts": {"responses": 1, "incomplete": 1},
    "responses": {
        "msg1:req-msg1": {
            "event": {
                "id": "sess-resume:resp:msg1:req-msg1",
                "session_id": "sess-resume",
                "type": "AI_RESPONSE",
                "ts": T0 + 5,
                "data": {
                    "model": CC_MODEL,
                    "response_id": "msg1",
                    "request_id": "req-msg1",
                    "provider": "anthropic",
                    "output_incomplete": True,
                },
                "tokens_input": 100,
                "tokens_output": 1,
                "cache_write_tokens": 50,
                "name": CC_MODEL,
            },
            "stop": False,
        }
    },
    "pending": {
        "toolu1": {
            "event": {
                "id": "sess-resume:tool:toolu1",
                "session_id": "sess-resume",
                "type": "FILE_READ",
                "ts": T0 + 5,
                "data": {
                    "tool": "Read",
                    "tool_call_id": "toolu1",
                    "args_sha256": _sha({"file_path": "/work/proj/a.py"}),
                    "file_path": "/work/proj/a.py",
                    "offset": None,
                    "limit": None,
                },
                "name": "Read",
            },
            "command": None,
        }
    },
}
#: msg1 counted once with its final output (30), msg2 once: 100+10 input, 30+20 output, 150 read, 50 written.
CC_TOTALS = TokenUsage(input_tokens=110, output_tokens=50, cache_read_tokens=150, cache_write_tokens=50)

# --- Codex ---------------------------------------------------------------------------------------------
CODEX_ID = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
USAGE1 = {
    "input_tokens": 1000,
    "cached_input_tokens": 400,
    "output_tokens": 50,
    "reasoning_output_tokens": 20,
}
USAGE2 = {
    "input_tokens": 1500,
    "cached_input_tokens": 1000,
    "output_tokens": 30,
    "reasoning_output_tokens": 10,
}
TOTAL2 = {k: USAGE1[k] + USAGE2[k] for k in USAGE1}


def _cx(kind: str, at: float, payload: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": _iso(at), "type": kind, "payload": payload}


def _tokens(total: dict[str, int], last: dict[str, int]) -> dict[str, Any]:
    info = {"total_token_usage": total, "last_token_usage": last}
    return {"type": "token_count", "info": info}


CX_HEAD = [
    _cx(
        "session_meta",
        0,
        {"id": CODEX_ID, "cwd": "/work/proj", "cli_version": "0.46.0", "originator": "codex"},
    ),
    _cx("turn_context", 1, {"model": "gpt-5-codex", "cwd": "/work/proj"}),
    _cx(
        "response_item",
        2,
        {"type": "function_call", "name": "shell", "arguments": '{"command":["ls"]}', "call_id": "c1"},
    ),
    _cx("event_msg", 3, _tokens(USAGE1, USAGE1)),
]
CX_TAIL = [
    _cx("event_msg", 3, _tokens(USAGE1, USAGE1)),  # Codex writes every token_count twice
    _cx("response_item", 4, {"type": "function_call_output", "call_id": "c1", "output": "a.py\n"}),
    _cx("event_msg", 6, _tokens(TOTAL2, USAGE2)),
]
CX_STATE: dict[str, Any] = {  # today's cursor shape after CX_HEAD
    "sid": CODEX_ID,
    "meta": {"cwd": "/work/proj", "cli_version": "0.46.0", "originator": "codex", "project": "proj"},
    "model": "gpt-5-codex",
    "first": T0,
    "last": T0 + 3,
    "task": "",
    "usage_key": json.dumps(USAGE1, sort_keys=True),
    "total": USAGE1,
    "counts": {"responses": 1},
    "pending": {
        "c1": {
            "event": {
                "id": f"{CODEX_ID}:tool:c1",
                "session_id": CODEX_ID,
                "type": "TOOL_CALL",
                "ts": T0 + 2,
                "data": {"tool": "shell", "tool_call_id": "c1", "args_sha256": _sha({"command": ["ls"]})},
                "name": "shell",
            },
            "command": "ls",
        }
    },
    "compaction_open": "",
}
#: Two distinct calls (the duplicate token_count ignored); OpenAI input includes the cached part.
CX_TOTALS = TokenUsage(input_tokens=600 + 500, output_tokens=80, cache_read_tokens=1400, reasoning_tokens=30)


def _write(path: Path, lines: list[dict[str, Any]]) -> bytes:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    path.write_bytes(data)
    return data


def test_parsers_save_state_in_the_cursor_format_of_earlier_versions(tmp_path: Path) -> None:
    """After the same lines, each parser's state is exactly the JSON cursors have always held."""
    for parser, head, expected in (
        (
            ClaudeCodeParser(tmp_path / "sess-resume.jsonl", agent="a", capture_content=False),
            CC_HEAD,
            CC_STATE,
        ),
        (
            CodexParser(tmp_path / f"rollout-{CODEX_ID}.jsonl", agent="a", capture_content=False),
            CX_HEAD,
            CX_STATE,
        ),
    ):
        for n, record in enumerate(head, start=1):
            parser.feed(record, n)
        assert json.loads(json.dumps(parser.state())) == expected


def test_a_saved_state_round_trips_unchanged(tmp_path: Path) -> None:
    """A parser resumed from a saved state reports that same state back before reading anything."""
    cc = ClaudeCodeParser(tmp_path / "other.jsonl", agent="a", capture_content=False, state=CC_STATE)
    cx = CodexParser(tmp_path / "other.jsonl", agent="a", capture_content=False, state=CX_STATE)
    assert json.loads(json.dumps(cc.state())) == CC_STATE
    assert json.loads(json.dumps(cx.state())) == CX_STATE


def test_an_import_resumed_from_an_old_cursor_has_one_shot_totals(tmp_path: Path) -> None:
    """A cursor saved mid-file in today's format resumes the grown file; totals equal a one-shot import's."""
    cases = (  # source, file, head, tail, cursor state, totals, events, events (re)written by the tail
        ("claude-code", "sess-resume.jsonl", CC_HEAD, CC_TAIL, CC_STATE, CC_TOTALS, 4, 3),
        ("codex", f"rollout-{CODEX_ID}.jsonl", CX_HEAD, CX_TAIL, CX_STATE, CX_TOTALS, 3, 2),
    )
    for source, name, head, tail, state, totals, events, tail_events in cases:
        path = tmp_path / source / name
        path.parent.mkdir()
        head_bytes = len(_write(path, head))
        resumed = SQLiteStore(tmp_path / source / "resumed" / "db.sqlite")
        one_shot = SQLiteStore(tmp_path / source / "one-shot" / "db.sqlite")
        try:
            import_paths(resumed, source, [path])  # the head's events are stored, then the file grows
            _write(path, head + tail)
            stat = os.stat(path)
            cursor: dict[str, Any] = {
                "v": 1,
                "inode": stat.st_ino,
                "size": head_bytes,
                "mtime": 0,
                "offset": head_bytes,
            }
            cursor.update(line=len(head), sid=state["sid"], state=state)
            resumed.set_cursor(f"import:{source}:{path.resolve()}", cursor)
            summary = import_paths(resumed, source, [path])
            assert (summary.lines, summary.events) == (len(tail), tail_events)  # only the tail was read
            import_paths(one_shot, source, [path])
            got, want = resumed.get_session(state["sid"]), one_shot.get_session(state["sid"])
            assert got.tokens == want.tokens == totals
            assert got.event_count == want.event_count == events
        finally:
            resumed.close()
            one_shot.close()
