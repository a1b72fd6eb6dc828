"""Helpers of the importer tests: where the real transcripts are (read in place) and reference figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests._paths import FIXTURES as FIXTURES

CLAUDE_DIRS = (FIXTURES / "claude-code-sniffly", FIXTURES / "claude-code-session-share")
CLAUDE_FILES = sorted(p for d in CLAUDE_DIRS for p in d.rglob("*.jsonl"))
SWE_FILES = sorted((FIXTURES / "swe-agent").rglob("*.traj"))


def records(path: Path) -> list[dict[str, Any]]:
    """Every JSON line of a transcript."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def has_session(path: Path) -> bool:
    """True when a Claude Code transcript holds user or assistant lines (not only a summary)."""
    return any(r.get("type") in {"user", "assistant"} for r in records(path))


def reference_usage(path: Path) -> tuple[int, int, int, int]:
    """(input, output, cache read, cache write) counted once per message + request id, largest kept."""
    per_response: dict[tuple[str, str], list[int]] = {}
    for rec in records(path):
        msg = rec.get("message")
        if rec.get("type") != "assistant" or not isinstance(msg, dict) or msg.get("model") == "<synthetic>":
            continue
        usage = msg.get("usage") or {}
        values = [
            usage.get("input_tokens", 0),
            usage.get("output_tokens", 0),
            usage.get("cache_read_input_tokens", 0),
            usage.get("cache_creation_input_tokens", 0),
        ]
        key = (str(msg.get("id")), str(rec.get("requestId")))
        old = per_response.get(key, [0, 0, 0, 0])
        per_response[key] = [max(a, b) for a, b in zip(old, values, strict=True)]
    totals = [sum(v[i] for v in per_response.values()) for i in range(4)]
    return totals[0], totals[1], totals[2], totals[3]
