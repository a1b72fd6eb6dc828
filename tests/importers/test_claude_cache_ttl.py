"""Claude Code cache writes split by TTL (``usage.cache_creation.ephemeral_5m/1h_input_tokens``), real files too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from sessionoptimizer_sdk.models import EventType
from tests.importers._import_fixtures import CLAUDE_FILES, has_session, records

SESSION_FILES = [p for p in CLAUDE_FILES if has_session(p)]


def _reference_1h(path: Path) -> int:
    """1-hour cache writes counted once per message + request id (largest kept), straight from the JSON."""
    per: dict[tuple[str, str], int] = {}
    for rec in records(path):
        msg = rec.get("message")
        if rec.get("type") != "assistant" or not isinstance(msg, dict) or msg.get("model") == "<synthetic>":
            continue
        split = (msg.get("usage") or {}).get("cache_creation") or {}
        key = (str(msg.get("id")), str(rec.get("requestId")))
        per[key] = max(per.get(key, 0), int(split.get("ephemeral_1h_input_tokens") or 0))
    return sum(per.values())


@pytest.mark.parametrize("path", SESSION_FILES, ids=lambda p: p.name)
def test_one_hour_writes_match_the_transcript(path: Path) -> None:
    """The imported 1-hour cache-write tokens equal an independent count over the transcript's usage."""
    events = load_transcript(path).events
    got = sum(
        int(e.data.get("cache_write_1h_tokens", 0)) for e in events if e.event_type is EventType.AI_RESPONSE
    )
    assert got == _reference_1h(path)


def test_one_hour_writes_are_priced_at_twice_input(tmp_path: Path) -> None:
    """A Sonnet 4.5 response writing 4,000 1-hour + 6,000 5-minute tokens costs 4,000x$6/M + 6,000x$3.75/M + rest."""
    usage = {
        "input_tokens": 10,
        "output_tokens": 100,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 10_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 6_000, "ephemeral_1h_input_tokens": 4_000},
    }
    message = {
        "id": "m1",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": "end_turn",
        "usage": usage,
    }
    line = {"type": "assistant", "sessionId": "s", "requestId": "r1", "uuid": "u1", "message": message}
    path = tmp_path / "sess1.jsonl"
    path.write_text(json.dumps({**line, "timestamp": "2026-01-21T10:00:00Z"}) + "\n", encoding="utf-8")
    imported = load_transcript(path)
    report = analyze_events(imported.session, imported.events)
    expected = 10 * 3e-6 + 100 * 15e-6 + 6_000 * 3.75e-6 + 4_000 * 6e-6
    assert report.cost_usd == pytest.approx(expected, abs=1e-6)


def test_prefix_change_after_a_system_reminder_says_so(tmp_path: Path) -> None:
    """A tool result carrying a <system-reminder>, then a call reading 2,000 of 20,010 cached: the reminder is named."""
    from tests.importers._cc_builder import Transcript

    t = Transcript()
    t.call(
        "Bash",
        {"command": "ls"},
        "a\n<system-reminder>files changed</system-reminder>",
        usage={"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 20_000},
    )
    t.call(
        "Bash",
        {"command": "pwd"},
        "/w",
        usage={
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 2_000,
            "cache_creation_input_tokens": 18_010,
        },
    )
    imported = load_transcript(t.write(tmp_path / "sess.jsonl"))
    [f] = [f for f in analyze_events(imported.session, imported.events).issues if f.type == "cache_miss"]
    assert (f.details["cause"], f.details["changed"]) == ("prefix_changed", "a system reminder was inserted")
    assert f.waste_tokens == 18_010  # 20,010 previous context - 2,000 still read from cache
