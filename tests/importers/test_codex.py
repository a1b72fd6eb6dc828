"""Codex CLI rollouts: small synthetic files written from the rollout format's documentation."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.importers.codex import load_rollout
from sessionoptimizer_sdk.models import ErrorKind, EventType

SID = "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5"


def _line(ts: int, kind: str, payload: dict[str, Any]) -> str:
    return json.dumps({"timestamp": f"2025-10-29T00:59:{ts:02d}.000Z", "type": kind, "payload": payload})


def _meta() -> list[str]:
    meta = {
        "id": SID,
        "timestamp": "2025-10-29T00:59:00.000Z",
        "cwd": "/work/demo",
        "originator": "codex_cli_rs",
        "cli_version": "0.46.0",
        "source": "cli",
        "git": {"branch": "main", "commit_hash": "abc123"},
    }
    return [
        _line(0, "session_meta", meta),
        _line(1, "turn_context", {"cwd": "/work/demo", "model": "gpt-5-codex"}),
    ]


def _usage(i: int, cached: int, o: int, r: int) -> dict[str, int]:
    return {
        "input_tokens": i,
        "cached_input_tokens": cached,
        "output_tokens": o,
        "reasoning_output_tokens": r,
        "total_tokens": i + o,
    }


def _token_counts(calls: list[tuple[int, int, int, int]], ts: int = 10) -> list[str]:
    """token_count events as Codex writes them: cumulative total + last call, each emitted twice."""
    lines, total = [], [0, 0, 0, 0]
    for call in calls:
        total = [a + b for a, b in zip(total, call, strict=True)]
        info = {
            "total_token_usage": _usage(*total),
            "last_token_usage": _usage(*call),
            "model_context_window": 1,
        }
        line = _line(ts, "event_msg", {"type": "token_count", "info": info, "rate_limits": {}})
        lines += [line, line]
    return lines


def _call(ts: int, call_id: str, name: str, arguments: dict[str, Any]) -> str:
    payload = {"type": "function_call", "name": name, "arguments": json.dumps(arguments), "call_id": call_id}
    return _line(ts, "response_item", payload)


def _output(ts: int, call_id: str, output: str, exit_code: int) -> str:
    body = json.dumps({"output": output, "metadata": {"exit_code": exit_code, "duration_seconds": 0.1}})
    return _line(ts, "response_item", {"type": "function_call_output", "call_id": call_id, "output": body})


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / f"rollout-2025-10-29T00-59-38-{SID}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_session_model_and_metadata_come_from_meta_and_turn_context(tmp_path: Path) -> None:
    """The session id is session_meta's id, the model turn_context's, metadata keeps cwd, version and git."""
    imported = load_rollout(_write(tmp_path, [*_meta(), *_token_counts([(100, 0, 10, 0)])]))
    session = imported.session
    assert (session.id, session.model, session.agent) == (SID, "gpt-5-codex", "codex")
    assert session.metadata["cwd"] == "/work/demo"
    assert session.metadata["cli_version"] == "0.46.0"
    assert session.metadata["git_branch"] == "main"


def test_duplicated_token_counts_and_cached_input_are_normalised(tmp_path: Path) -> None:
    """Each token_count is counted once; cached input moves to cache reads; reasoning stays in output."""
    calls = [(1000, 800, 50, 20), (1500, 1000, 70, 0)]
    imported = load_rollout(_write(tmp_path, [*_meta(), *_token_counts(calls)]))
    responses = [e for e in imported.events if e.event_type is EventType.AI_RESPONSE]
    assert len(responses) == 2
    tokens = imported.session.tokens
    assert tokens.input_tokens == (1000 - 800) + (1500 - 1000)
    assert tokens.cache_read_tokens == 1800
    assert tokens.output_tokens == 120
    assert tokens.reasoning_tokens == 20


@settings(max_examples=40, deadline=None)
@given(
    calls=st.lists(
        st.tuples(*(st.integers(min_value=0, max_value=50_000) for _ in range(4))).map(
            lambda t: (t[0], min(t[1], t[0]), t[2], min(t[3], t[2]))
        ),
        min_size=1,
        max_size=6,
    )
)
def test_totals_equal_the_sum_of_distinct_calls(
    tmp_path_factory, calls: list[tuple[int, int, int, int]]
) -> None:
    """Whatever the calls, the session totals are the sum of each call once, with non-overlapping kinds."""
    calls = [c for c in calls if any(c)] or [(1, 0, 1, 0)]
    path = _write(tmp_path_factory.mktemp("codex"), [*_meta(), *_token_counts(calls)])
    tokens = load_rollout(path).session.tokens
    assert tokens.input_tokens + tokens.cache_read_tokens == sum(c[0] for c in calls)
    assert tokens.cache_read_tokens == sum(c[1] for c in calls)
    assert tokens.output_tokens == sum(c[2] for c in calls)


def test_tool_calls_reads_patches_and_failures_map_to_events(tmp_path: Path) -> None:
    """Shell reads become FILE_READ, apply_patch FILE_WRITE per file, a non-zero exit an ERROR."""
    patch = (
        "*** Begin Patch\n*** Update File: src/a.py\n@@\n-x\n+y\n*** Add File: src/b.py\n+z\n*** End Patch"
    )
    lines = [
        *_meta(),
        _call(2, "c1", "shell", {"command": ["bash", "-lc", "sed -n '10,29p' src/a.py"]}),
        _output(3, "c1", "line\n" * 20, 0),
        _line(
            4,
            "response_item",
            {"type": "custom_tool_call", "call_id": "c2", "name": "apply_patch", "input": patch},
        ),
        _line(5, "response_item", {"type": "custom_tool_call_output", "call_id": "c2", "output": "Success"}),
        _call(6, "c3", "shell", {"command": ["bash", "-lc", "pytest -q"]}),
        _output(7, "c3", "1 failed, 3 passed", 1),
        _call(8, "c4", "shell", {"command": ["bash", "-lc", "rm -rf build"]}),
        _output(9, "c4", "exec command rejected by user", 1),
        *_token_counts([(10, 0, 1, 0)]),
    ]
    imported = load_rollout(_write(tmp_path, lines))
    by_type = Counter(e.event_type for e in imported.events)
    assert by_type[EventType.FILE_WRITE] == 2
    assert by_type[EventType.ERROR] == 2
    read = next(e for e in imported.events if e.event_type is EventType.FILE_READ)
    assert (read.data["file_path"], read.data["offset"], read.data["limit"]) == ("src/a.py", 10, 20)
    assert read.data["result_tokens"] > 0
    writes = sorted(e.data["file_path"] for e in imported.events if e.event_type is EventType.FILE_WRITE)
    assert writes == ["src/a.py", "src/b.py"]
    kinds = {
        e.data["tool_call_id"]: e.data["error_kind"]
        for e in imported.events
        if e.event_type is EventType.ERROR
    }
    assert kinds == {"c3": ErrorKind.TEST_FAILURE.value, "c4": ErrorKind.USER_REJECTION.value}


def test_plain_text_outputs_with_exit_codes_are_understood(tmp_path: Path) -> None:
    """Newer Codex versions write ``Exit code: N`` text outputs; a non-zero code is a failure."""
    lines = [
        *_meta(),
        _call(2, "c1", "shell_command", {"command": "make build"}),
        _line(
            3,
            "response_item",
            {"type": "function_call_output", "call_id": "c1", "output": "Exit code: 2\nboom"},
        ),
        _call(4, "c2", "shell_command", {"command": "ls"}),
        _line(
            5,
            "response_item",
            {"type": "function_call_output", "call_id": "c2", "output": "Exit code: 0\na b"},
        ),
    ]
    errors = [e for e in load_rollout(_write(tmp_path, lines)).events if e.event_type is EventType.ERROR]
    assert [e.data["tool_call_id"] for e in errors] == ["c1"]
    assert errors[0].data["error_kind"] == ErrorKind.AGENT_ERROR.value


def test_user_messages_are_sizes_unless_content_is_captured(tmp_path: Path) -> None:
    """A user prompt is stored as size and hash by default and as text with capture_content."""
    prompt = "please refactor the parser"
    lines = [*_meta(), _line(2, "event_msg", {"type": "user_message", "message": prompt, "kind": "plain"})]
    path = _write(tmp_path, lines)
    plain = load_rollout(path)
    assert prompt not in json.dumps([dict(e.data) for e in plain.events]) + plain.session.task
    captured = load_rollout(path, capture_content=True)
    assert captured.session.task == prompt
