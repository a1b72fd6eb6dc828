"""Claude Code transcripts: real files from two Claude Code versions, plus synthetic traps."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.errors import ImportSourceError
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.models import ErrorKind, EventType
from tests.importers._import_fixtures import CLAUDE_FILES, has_session, records, reference_usage

SESSION_FILES = [p for p in CLAUDE_FILES if has_session(p)]
TOOL_TYPES = {EventType.TOOL_CALL, EventType.FILE_READ, EventType.FILE_WRITE}


def _blocks(path: Path, kind: str) -> list[dict[str, Any]]:
    out = []
    for rec in records(path):
        content = (
            (rec.get("message") or {}).get("content") if rec.get("type") in {"user", "assistant"} else None
        )
        out += [b for b in content or [] if isinstance(b, dict) and b.get("type") == kind]
    return out


@pytest.mark.parametrize("path", SESSION_FILES, ids=lambda p: p.name)
def test_token_totals_equal_usage_deduplicated_by_response_id(path: Path) -> None:
    """Per-session token totals equal usage counted once per message id + request id (largest output kept)."""
    imported = load_transcript(path)
    tokens = imported.session.tokens
    got = (tokens.input_tokens, tokens.output_tokens, tokens.cache_read_tokens, tokens.cache_write_tokens)
    assert got == reference_usage(path)


@pytest.mark.parametrize("path", SESSION_FILES, ids=lambda p: p.name)
def test_tool_call_and_error_counts_are_exact(path: Path) -> None:
    """One tool event per tool_use block and one ERROR event per tool_result marked is_error."""
    imported = load_transcript(path)
    kinds = Counter(e.event_type for e in imported.events)
    assert sum(kinds[t] for t in TOOL_TYPES) == len(_blocks(path, "tool_use"))
    assert kinds[EventType.ERROR] == sum(1 for b in _blocks(path, "tool_result") if b.get("is_error"))
    assert kinds[EventType.THINKING] == len(_blocks(path, "thinking"))


@pytest.mark.parametrize("path", SESSION_FILES, ids=lambda p: p.name)
def test_session_identity_and_timestamps_come_from_the_transcript(path: Path) -> None:
    """The session id is the file stem (subagents: parent + stem) and the times are the transcript's own."""
    imported = load_transcript(path)
    lines = [r for r in records(path) if r.get("type") in {"user", "assistant", "system"}]
    stamps = [datetime.fromisoformat(r["timestamp"]) for r in lines]
    assert imported.session.started_at == min(stamps)
    assert imported.session.ended_at == max(stamps)
    assert imported.session.id.endswith(path.stem)
    assert imported.session.metadata["source_path"] == str(path)
    assert (
        imported.session.metadata["claude_code_version"]
        == [r["version"] for r in lines if "version" in r][-1]
    )


def test_subagents_link_to_their_parent_session() -> None:
    """Every ``subagents/agent-*.jsonl`` becomes its own session whose metadata names the parent's id."""
    subagents = [p for p in SESSION_FILES if p.parent.name == "subagents"]
    assert subagents
    parents = {load_transcript(p).session.id for p in SESSION_FILES if p.parent.name != "subagents"}
    for path in subagents:
        meta = load_transcript(path).session.metadata
        assert meta["subagent"] is True
        assert meta["parent_session_id"] == path.parent.parent.name
        assert meta["parent_session_id"] in parents


def test_reads_carry_path_range_and_result_size() -> None:
    """A Read tool call becomes FILE_READ with the call's file_path/offset/limit and the result's size."""
    checked = 0
    for path in SESSION_FILES:
        uses = {b["id"]: b["input"] for b in _blocks(path, "tool_use") if b["name"] == "Read"}
        for event in load_transcript(path).events:
            if event.event_type is EventType.FILE_READ:
                args = uses[event.data["tool_call_id"]]
                assert event.data["file_path"] == args["file_path"]
                assert event.data["offset"] == args.get("offset")
                assert event.data["limit"] == args.get("limit")
                assert event.data["result_tokens"] > 0
                assert (
                    event.tokens_input == event.tokens_output == 0
                )  # tool results are billed by the next call
                checked += 1
    assert checked == sum(1 for p in SESSION_FILES for b in _blocks(p, "tool_use") if b["name"] == "Read")


def test_errors_are_classified_by_cause() -> None:
    """User rejections are told apart from the agent's own failures."""
    kinds: Counter[str] = Counter()
    for path in SESSION_FILES:
        rejected = {
            b["tool_use_id"]
            for b in _blocks(path, "tool_result")
            if b.get("is_error") and "doesn't want to" in json.dumps(b.get("content"))
        }
        for event in load_transcript(path).events:
            if event.event_type is EventType.ERROR:
                kinds[event.data["error_kind"]] += 1
                expected = ErrorKind.USER_REJECTION if event.data["tool_call_id"] in rejected else None
                if expected:
                    assert event.data["error_kind"] == expected.value
                else:
                    assert event.data["error_kind"] != ErrorKind.USER_REJECTION.value
    assert kinds[ErrorKind.USER_REJECTION.value] >= 1
    assert kinds[ErrorKind.AGENT_ERROR.value] >= 1


def test_content_is_stored_only_with_capture_content() -> None:
    """By default prompts and tool results are kept as sizes and hashes; capture_content stores them."""
    path = next(p for p in SESSION_FILES if p.name.startswith("fed8ce56"))
    prompt = next(
        r["message"]["content"] for r in records(path) if isinstance(r.get("message", {}).get("content"), str)
    )
    plain = (
        json.dumps([dict(e.data) for e in load_transcript(path).events]) + load_transcript(path).session.task
    )
    captured = load_transcript(path, capture_content=True)
    assert prompt[:40] not in plain
    assert any(e.data.get("content") == prompt for e in captured.events)
    assert captured.session.task == prompt[:500]


def test_placeholder_output_tokens_are_flagged() -> None:
    """Claude Code 2.1.x responses without a final stop reason are marked output_incomplete."""
    path = next(p for p in SESSION_FILES if p.name.startswith("4b2030ed"))
    imported = load_transcript(path)
    responses = [e for e in imported.events if e.event_type is EventType.AI_RESPONSE]
    assert responses
    assert all(e.data["output_incomplete"] for e in responses)
    assert imported.session.metadata["output_tokens_incomplete"] is True


def test_a_transcript_without_session_lines_is_reported() -> None:
    """A file holding only a summary line raises ImportSourceError instead of producing an empty session."""
    path = next(p for p in CLAUDE_FILES if not has_session(p))
    with pytest.raises(ImportSourceError, match="no session records"):
        load_transcript(path)


def _assistant_line(output: int, stop: str | None, block: dict[str, Any]) -> str:
    usage = {"input_tokens": 3, "output_tokens": output, "cache_read_input_tokens": 100}
    message = {"id": "msg_1", "model": "claude-x", "content": [block], "stop_reason": stop, "usage": usage}
    record = {"type": "assistant", "sessionId": "s", "requestId": "req_1", "uuid": f"u{output}-{id(block)}"}
    return json.dumps({**record, "timestamp": "2026-01-01T00:00:00Z", "message": message})


@settings(max_examples=40, deadline=None)
@given(outputs=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8))
def test_usage_repeated_on_every_line_of_a_response_counts_once(tmp_path_factory, outputs: list[int]) -> None:
    """However many lines repeat a response's usage, it is counted once with the largest output."""
    path = tmp_path_factory.mktemp("cc") / "a1b2.jsonl"
    lines = [_assistant_line(o, None, {"type": "text", "text": "x" * i}) for i, o in enumerate(outputs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokens = load_transcript(path).session.tokens
    assert (tokens.input_tokens, tokens.cache_read_tokens, tokens.output_tokens) == (3, 100, max(outputs))
