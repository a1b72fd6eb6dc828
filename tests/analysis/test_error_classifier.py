"""Issue 14 item 4: one classifier for imported and live failures; rejections and denials are not agent errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.errorkinds import classify_error as live_classifier
from sessionoptimizer_sdk.importers import _classify
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.importers.codex import load_rollout
from sessionoptimizer_sdk.models import ErrorKind, EventType
from tests.analysis._builders import Events, session

# Tool-result texts as Claude Code (2.x) and Codex CLI write them, with the kind a user expects.
CASES = [
    (
        "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file "
        "edit, the new_string was NOT written to the file). To tell you how to proceed, the user said:\n"
        "use the other config file",
        ErrorKind.USER_REJECTION,
    ),
    ("[Request interrupted by user for tool use]", ErrorKind.USER_REJECTION),
    (
        "Claude requested permissions to use Bash, but you haven't granted it yet.",
        ErrorKind.PERMISSION_DENIED,
    ),
    ("This command requires approval", ErrorKind.PERMISSION_DENIED),
    ("Command `rm -rf build` was blocked by the sandbox policy", ErrorKind.PERMISSION_DENIED),
    ("Error: Command timed out after 2m 0.0s", ErrorKind.TIMEOUT),
    ("FAILED tests/test_app.py::test_x - assert 1 == 2\n1 failed, 3 passed", ErrorKind.TEST_FAILURE),
    ("String to replace not found in file.", ErrorKind.AGENT_ERROR),
]


def _claude_transcript(tmp_path: Path, text: str) -> Path:
    tool_use = {"type": "tool_use", "id": "t1", "name": "Edit", "input": {"file_path": "a.py"}}
    usage = {"input_tokens": 5, "output_tokens": 5}
    lines = [
        {
            "type": "assistant",
            "sessionId": "s",
            "uuid": "u1",
            "requestId": "r1",
            "timestamp": "2026-01-21T10:00:00Z",
            "message": {"id": "m1", "model": "claude-sonnet-4-5", "content": [tool_use], "usage": usage},
        },
        {
            "type": "user",
            "sessionId": "s",
            "uuid": "u2",
            "timestamp": "2026-01-21T10:00:05Z",
            "message": {
                "content": [{"type": "tool_result", "tool_use_id": "t1", "is_error": True, "content": text}]
            },
        },
    ]
    path = tmp_path / "sess.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "kind"), CASES, ids=[k.value + str(i) for i, (_, k) in enumerate(CASES)])
def test_imported_and_live_failures_get_the_same_kind(tmp_path: Path, text: str, kind: ErrorKind) -> None:
    """A failure imported from a transcript and the same failure recorded live are classified alike."""
    imported = load_transcript(_claude_transcript(tmp_path, text))
    [error] = [e for e in imported.events if e.event_type is EventType.ERROR]
    assert error.data["error_kind"] == kind.value
    assert live_classifier(text) is kind
    assert _classify.classify_error is live_classifier  # one classifier, not two that can disagree


def test_rejections_and_denials_do_not_count_as_agent_errors() -> None:
    """Four calls failing by rejection, interrupt and denial plus one agent error: rate 1/5 = 20%."""
    ev = Events()
    for i, (text, _) in enumerate(CASES[:4]):
        ev.tool("Bash", str(i), error=text)
    ev.tool("Edit", "x", error="String to replace not found in file.")
    report = analyze_events(session(), ev.items)
    assert report.metrics["error_rate"] == pytest.approx(1 / 5)
    assert (report.metrics["user_rejections"], report.metrics["permission_denials"]) == (2.0, 2.0)


def _codex(tmp_path: Path, outputs: list[object]) -> Path:
    def line(ts: int, kind: str, payload: dict[str, object]) -> str:
        return json.dumps({"timestamp": f"2025-10-29T00:59:{ts:02d}.000Z", "type": kind, "payload": payload})

    lines = [
        line(0, "session_meta", {"id": "0199", "timestamp": "2025-10-29T00:59:00.000Z", "cwd": "/w"}),
        line(1, "turn_context", {"cwd": "/w", "model": "gpt-5-codex"}),
    ]
    for n, output in enumerate(outputs):
        args = json.dumps({"command": ["bash", "-lc", f"make step{n}"]})
        lines.append(
            line(
                2 + n,
                "response_item",
                {"type": "function_call", "name": "shell", "arguments": args, "call_id": f"c{n}"},
            )
        )
        item: dict[str, object] = {"type": "function_call_output", "call_id": f"c{n}"}
        if output is not None:
            item["output"] = output
        lines.append(line(2 + n, "response_item", item))
    path = tmp_path / "rollout-2025-10-29T00-59-38-0199.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_codex_rollout_with_redacted_outputs_reports_error_rate_not_measurable(tmp_path: Path) -> None:
    """Three tool calls whose outputs the rollout did not keep: error rate is null and said to be unmeasurable."""
    imported = load_rollout(_codex(tmp_path, [None, "", "[redacted]"]))
    report = analyze_events(imported.session, imported.events)
    assert math.isnan(report.metrics["error_rate"])
    assert report.to_dict()["metrics"]["error_rate"] is None
    assert any("error rate not measurable" in n for n in report.notes)
    assert not [f for f in report.issues if f.type == "high_error_rate"]


def test_codex_rollout_with_some_outputs_measures_the_rest(tmp_path: Path) -> None:
    """One failed and one redacted output of three: the rate is 1 of the 2 measurable calls (50%)."""
    ok = json.dumps({"output": "done", "metadata": {"exit_code": 0}})
    bad = json.dumps({"output": "make: *** [step1] Error 2", "metadata": {"exit_code": 2}})
    imported = load_rollout(_codex(tmp_path, [ok, bad, None]))
    report = analyze_events(imported.session, imported.events)
    assert report.metrics["error_rate"] == pytest.approx(0.5)
