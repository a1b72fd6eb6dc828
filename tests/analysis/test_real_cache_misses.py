"""Issue 14 item 2 on a real session: the shared ai-music transcript's cache misses, counted independently."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.importers.claude_code import load_transcript
from tests.importers._import_fixtures import FIXTURES, records

PATH = next((FIXTURES / "claude-code-sniffly").rglob("d3ad4cdc-*.jsonl"), None)


@dataclass
class _Call:
    t: datetime
    model: str
    inp: int = 0
    read: int = 0
    write: int = 0

    @property
    def context(self) -> int:
        return self.inp + self.read + self.write


def _reference(path: Path) -> tuple[dict[str, int], int]:
    """Rewritten tokens per cause (idle gap over 5 min vs under), straight from the JSON, and all cache writes."""
    calls: dict[tuple[str, str], _Call] = {}
    for rec in records(path):
        msg = rec.get("message")
        if rec.get("type") != "assistant" or not isinstance(msg, dict) or msg.get("model") == "<synthetic>":
            continue
        u = msg.get("usage") or {}
        c = calls.setdefault(
            (str(msg.get("id")), str(rec.get("requestId"))),
            _Call(datetime.fromisoformat(rec["timestamp"]), str(msg.get("model"))),
        )
        c.inp = max(c.inp, int(u.get("input_tokens", 0)))
        c.read = max(c.read, int(u.get("cache_read_input_tokens", 0)))
        c.write = max(c.write, int(u.get("cache_creation_input_tokens", 0)))
    ordered = sorted(calls.values(), key=lambda c: c.t)
    lost = {"idle": 0, "prefix": 0}
    for prev, cur in itertools.pairwise(ordered):
        p = prev.context
        if p < 1_024 or cur.read >= 0.5 * p or cur.model != prev.model:
            continue
        n = min(min(p, cur.context) - cur.read, cur.write + cur.inp)
        lost["idle" if (cur.t - prev.t).total_seconds() > 300 else "prefix"] += n
    return lost, sum(c.write for c in ordered)


@pytest.mark.skipif(PATH is None, reason="shared fixture d3ad4cdc (claude-code-sniffly) is missing")
def test_real_idle_misses_are_a_cost_and_prefix_misses_waste() -> None:
    """Idle rewrites cost less than a 1-hour TTL's premium would have: a cost; the under-TTL rewrite is waste."""
    assert PATH is not None
    lost, writes = _reference(PATH)
    imported = load_transcript(PATH)
    report = analyze_events(imported.session, imported.events)
    by_cause = {f.details["cause"]: f for f in report.issues if f.type == "cache_miss"}
    idle, prefix = by_cause["ttl_expired"], by_cause["prefix_changed"]
    assert idle.details["rewritten_tokens"] == lost["idle"]
    # 1-hour TTL: saves 1.15x input per rewritten token, costs 0.75x more on every other written token
    net = lost["idle"] * 1.15 - (writes - lost["idle"]) * 0.75
    assert net < 0 and (idle.avoidable, idle.waste_tokens) == (False, 0)
    assert idle.cost_usd == pytest.approx(lost["idle"] * (3.75e-6 - 0.30e-6), abs=1e-6)  # Sonnet 4 prices
    assert (prefix.avoidable, prefix.waste_tokens) == (True, lost["prefix"])
    assert not any("1-hour" in r.title for r in report.recommendations)
