"""Issue 14 item 7: a Codex compaction recorded twice counts once; an automatic compaction is a cost, not waste."""

from __future__ import annotations

from pathlib import Path

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.importers.codex import load_rollout
from sessionoptimizer_sdk.models import EventType
from tests.importers.test_codex import _line, _meta, _token_counts, _write


def _compaction(ts: int) -> list[str]:
    """Codex CLI 0.46+ writes a ``compacted`` line and a ``context_compacted`` event for one compaction."""
    return [
        _line(ts, "compacted", {"message": "summary", "replacement_history": []}),
        _line(ts, "event_msg", {"type": "context_compacted"}),
    ]


def test_double_recorded_compaction_counts_once(tmp_path: Path) -> None:
    """Two compactions, each written as compacted + context_compacted, give exactly two COMPACTION events."""
    lines = [
        *_meta(),
        *_token_counts([(50_000, 0, 100, 0)], ts=10),
        *_compaction(20),
        *_token_counts([(8_000, 0, 100, 0)], ts=30),
        *_compaction(40),
        *_token_counts([(9_000, 0, 100, 0)], ts=50),
    ]
    imported = load_rollout(_write(tmp_path, lines))
    assert sum(1 for e in imported.events if e.event_type is EventType.COMPACTION) == 2


def test_cache_rewrite_after_auto_compaction_is_not_waste(tmp_path: Path) -> None:
    """The context rebuilt after an automatic compaction is a cost: no waste and no 'compact less often' advice."""
    lines = [
        *_meta(),
        *_token_counts([(40_000, 0, 100, 0), (41_000, 40_000, 100, 0)], ts=10),
        *_compaction(20),
        *_token_counts([(12_000, 0, 100, 0)], ts=30),
    ]
    imported = load_rollout(_write(tmp_path, lines))
    report = analyze_events(imported.session, imported.events)
    misses = [f for f in report.issues if f.type == "cache_miss"]
    assert [(f.details["cause"], f.avoidable, f.waste_tokens) for f in misses] == [("compaction", False, 0)]
    assert report.total_waste_tokens == 0
    assert not any("compact" in r.title.lower() for r in report.recommendations)
