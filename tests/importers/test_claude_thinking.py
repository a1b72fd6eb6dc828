"""Issue 14 item 3: thinking on Claude Code sessions, estimated from the stored text (chars / 4) or not measurable."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from tests.importers._import_fixtures import CLAUDE_FILES, records


def _response(tmp_path: Path, thinking: str, signature: str = "sig", output: int = 2_500) -> Path:
    """One Claude Code response: a thinking block line and a text line sharing the message id and usage."""
    usage = {"input_tokens": 10, "output_tokens": output}
    lines = []
    for n, block in enumerate(
        [{"type": "thinking", "thinking": thinking, "signature": signature}, {"type": "text", "text": "done"}]
    ):
        message: dict[str, Any] = {
            "id": "msg_1",
            "model": "claude-sonnet-4-5",
            "content": [block],
            "usage": usage,
        }
        message["stop_reason"] = "end_turn" if n else None
        lines.append(
            {
                "type": "assistant",
                "sessionId": "s",
                "uuid": f"u{n}",
                "requestId": "r1",
                "timestamp": f"2026-01-21T10:00:0{n}Z",
                "message": message,
            }
        )
    path = tmp_path / "sess.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def test_thinking_text_is_estimated_and_its_excess_claimed_from_output(tmp_path: Path) -> None:
    """8,000 chars of thinking = 2,000 tokens of 2,500 output (80%): 2,000 - 60% x 2,500 = 500 tokens waste."""
    imported = load_transcript(_response(tmp_path, "t" * 8_000))
    report = analyze_events(imported.session, imported.events)
    [f] = [f for f in report.issues if f.type == "thinking_overhead"]
    assert (f.waste_tokens, f.details["basis"], f.details["thinking_tokens"]) == (500, "estimated", 2_000)
    assert f.waste_usd == pytest.approx(500 * 15e-6)  # Sonnet 4.5 output: $15 per million
    assert report.thinking_basis == "estimated" and report.metrics["thinking_share"] == 0.8
    assert "4 characters per token" in f.description


def test_signature_only_thinking_is_not_measurable_never_zero(tmp_path: Path) -> None:
    """A thinking block with only a signature: share is null with a note, never 0%."""
    imported = load_transcript(_response(tmp_path, ""))
    report = analyze_events(imported.session, imported.events)
    assert report.thinking_basis == "not_measurable"
    assert math.isnan(report.metrics["thinking_share"])
    assert report.to_dict()["metrics"]["thinking_share"] is None
    assert any("thinking share not measurable" in n for n in report.notes)


@pytest.mark.parametrize(
    "path", [p for p in CLAUDE_FILES if "0ccf1a04" in p.name or "4b2030ed" in p.name], ids=lambda p: p.name
)
def test_real_sessions_estimate_thinking_from_their_blocks(path: Path) -> None:
    """On the shared real transcripts, estimated thinking = sum of ceil(chars / 4) over the thinking blocks."""
    expected = 0
    for rec in records(path):
        content = (rec.get("message") or {}).get("content") if rec.get("type") == "assistant" else None
        for b in content if isinstance(content, list) else []:
            if isinstance(b, dict) and b.get("type") == "thinking" and b.get("thinking"):
                expected += -(-len(b["thinking"]) // 4)
    imported = load_transcript(path)
    report = analyze_events(imported.session, imported.events)
    assert report.thinking_basis == "estimated"
    assert report.metrics["thinking_tokens"] == expected


def test_thinking_text_outweighing_placeholder_output_is_not_a_share_over_100_percent() -> None:
    """Session 0ccf1a04's thinking text (~468 tokens) exceeds its placeholder output (32): share null, noted."""
    from sessionoptimizer_sdk.importers.claude_code import load_transcript
    from tests.importers._import_fixtures import FIXTURES

    imported = load_transcript(
        FIXTURES / "claude-code-session-share" / "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl"
    )
    report = analyze_events(imported.session, imported.events)
    assert report.metrics["thinking_tokens"] > report.totals.output_tokens > 0  # the case itself
    assert math.isnan(report.metrics["thinking_share"])
    assert report.to_dict()["metrics"]["thinking_share"] is None
    assert any("thinking text outweighs the output tokens" in n for n in report.notes)
