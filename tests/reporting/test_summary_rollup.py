"""The subagent roll-up rows of the headline, pinned for sparse and long roll-ups."""

from __future__ import annotations

from dataclasses import replace

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.reporting.formats._summary import headline_rows
from tests.analysis._builders import Events, session


def _rows(subagents: dict[str, object]) -> list[tuple[str, str]]:
    ev = Events()
    ev.call()
    return headline_rows(replace(analyze_events(session(), ev.items), subagents=subagents))


def test_rollup_rows_show_each_subagents_money() -> None:
    """A subagent row shows its cost, waste tokens and waste USD; a report without notes has no Notes row."""
    rows = _rows(
        {
            "count": 1,
            "sessions": [
                {"session_id": "p.agent-1", "cost_usd": 0.5, "waste_tokens": 2_000, "waste_usd": 0.006}
            ],
        }
    )
    assert rows[-1] == ("  subagent", "p.agent-1: cost $0.5000, waste 2,000 tokens ($0.0060)")
    assert "Notes" not in dict(rows)


def test_sparse_and_long_rollups() -> None:
    """Missing counts read as 0; at most 20 subagents are listed."""
    sparse = dict(_rows({"sessions": [{"session_id": "p.agent-1"}]}))
    assert sparse["Subagents"].startswith("0 (rolled up")
    assert sparse["  subagent"] == "p.agent-1: cost unpriced, waste 0 tokens (unpriced)"
    many = _rows({"count": 25, "sessions": [{"session_id": f"p.agent-{i}"} for i in range(25)]})
    assert sum(1 for label, _ in many if label == "  subagent") == 20
