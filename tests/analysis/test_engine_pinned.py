"""Engine settlement with hand-made analyzers: first claim wins, USD per pool, carry-over apart, costs apart, order.

Sonnet 4.5 per million tokens: input $3, cache read $0.30, 5-minute cache write $3.75, 1-hour write $6, output $15.
The call e0 bills 1,000 input, 10,000 cache read, 2,000 cache write (500 of them 1-hour) and 500 output tokens;
e1 is a read that put 3,000 tokens into the context.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events, registry
from sessionoptimizer_sdk.analysis.base import Claim, Draft, Pool, RecommendationDraft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import OptimizationReport, Recommendation, Severity
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, session

M = 1e-6
WRITE = (1_500 * 3.75 + 500 * 6.0) / 2_000 * M  # $4.3125/M: e0's blended cache-write rate


@dataclass
class _Fixed:
    """An analyzer returning fixed items."""

    name: str
    order: int
    items: Sequence[Any] = field(default_factory=tuple)

    def analyze(self, ctx: AnalysisContext) -> Iterable[Any]:
        return list(self.items)


def _draft(name: str, severity: Severity, *claims: Claim, **kw: Any) -> Draft:
    return Draft(name, severity, f"{name} finding", evidence=("e0",), claims=claims, **kw)


ANALYZERS = (
    _Fixed(
        "alpha",
        1,
        [
            Draft(
                "alpha",
                Severity.HIGH,
                "alpha wasted {waste} tokens",
                ("e0",),
                (
                    Claim("e0", "input", 600),
                    Claim("e1", "content", 1_000),
                    Claim("e0", "carry", 5_000),
                    Claim("e0", "output", 0),  # empty and negative claims are ignored
                    Claim("e0", "output", -5),
                    Claim("missing", "input", 50),  # so is a claim on an event the session does not have
                ),
                recommendation=RecommendationDraft("Do A", "detail A"),
                waste_in_description=True,
            )
        ],
    ),
    _Fixed(
        "beta",
        2,
        [
            _draft(
                "beta",
                Severity.LOW,
                Claim("e0", "input", 600),
                Claim("e0", "output", 100),
                recommendation=RecommendationDraft("Do B", "detail B"),
            )
        ],
    ),
    _Fixed("gamma", 3, [_draft("gamma", Severity.MEDIUM, Claim("e1", "content", 500))]),
    _Fixed("delta", 4, [_draft("delta", Severity.HIGH, Claim("e0", "input", 10))]),
    _Fixed("eps", 5, [_draft("eps", Severity.LOW, Claim("e0", "input", 10), drop_if_fully_claimed=False)]),
    _Fixed(
        "phi",
        6,
        [
            _draft(
                "phi", Severity.HIGH, Claim("e0", "cache_write", 2_000, net_of="cache_read"), avoidable=False
            )
        ],
    ),
    _Fixed(
        "gee",
        7,
        [
            _draft("gee", Severity.LOW, Claim("e0", "cache_write", 2_000)),
            Recommendation("Plain advice", "no waste attached"),
        ],
    ),
)


def _analyze(
    model: str, monkeypatch: pytest.MonkeyPatch, analyzers: Sequence[Any] = ANALYZERS
) -> OptimizationReport:
    monkeypatch.setattr(registry, "_loaded", tuple(analyzers))
    ev = Events()
    ev.call(inp=1_000, cr=10_000, cw=2_000, out=500, data={"cache_write_1h_tokens": 500})
    ev.read("a.py", 3_000)
    return analyze_events(session(model=model), ev.items)


def test_settlement_first_claim_wins_with_usd_per_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each finding's waste is what it claimed first, priced by pool; carry-over is apart; fully claimed drops."""
    report = _analyze("sonnet", monkeypatch)
    got = {
        f.type: (f.waste_tokens, f.waste_usd, dict(f.waste_by_kind), f.carryover_tokens, f.carryover_usd)
        for f in report.issues
    }
    assert got == {
        # 600 input + 1,000 content at $3; 5,000 carry-over at the cache-read $0.30
        "alpha": (
            1_600,
            pytest.approx(1_600 * 3 * M + 5_000 * 0.3 * M, abs=1e-9),
            {"input": 600, "content": 1_000, "cache_read_carryover": 5_000},
            5_000,
            pytest.approx(5_000 * 0.3 * M, abs=1e-9),
        ),
        # only 400 input tokens were left after alpha
        "beta": (
            500,
            pytest.approx(400 * 3 * M + 100 * 15 * M, abs=1e-9),
            {"input": 400, "output": 100},
            0,
            0.0,
        ),
        "gamma": (500, pytest.approx(500 * 3 * M, abs=1e-9), {"content": 500}, 0, 0.0),
        # every input token was already claimed: delta is dropped, eps asked to be kept
        "eps": (0, 0.0, {}, 0, 0.0),
        # a cost claims nothing: gee can still claim the same cache writes as waste
        "phi": (0, 0.0, {}, 0, None),
        "gee": (2_000, pytest.approx(2_000 * WRITE, abs=1e-9), {"cache_write": 2_000}, 0, 0.0),
    }
    phi = next(f for f in report.issues if f.type == "phi")
    assert phi.avoidable is False
    assert phi.cost_usd == pytest.approx(2_000 * (WRITE - 0.3 * M), abs=1e-9)
    assert dict(phi.details) == {"cost_by_kind": {"cache_write": 2_000}}
    assert next(f for f in report.issues if f.type == "alpha").description == "alpha wasted 1,600 tokens"
    assert next(f for f in report.issues if f.type == "beta").description == "beta finding"


def test_report_totals_order_and_score(monkeypatch: pytest.MonkeyPatch) -> None:
    """Findings by USD, then tokens, then severity; totals add the findings; the score weighs the claims."""
    report = _analyze("sonnet", monkeypatch)
    assert [f.type for f in report.issues] == ["gee", "alpha", "beta", "gamma", "phi", "eps"]
    assert report.total_waste_tokens == 1_600 + 500 + 500 + 2_000
    waste = 1_600 * 3 * M + 5_000 * 0.3 * M + 400 * 3 * M + 100 * 15 * M + 500 * 3 * M + 2_000 * WRITE
    assert report.waste_usd == pytest.approx(waste, abs=1e-6)
    assert report.unavoidable_cost_usd == pytest.approx(2_000 * (WRITE - 0.3 * M), abs=1e-6)
    assert report.cost_usd == pytest.approx(
        1_000 * 3 * M + 10_000 * 0.3 * M + 1_500 * 3.75 * M + 500 * 6 * M + 500 * 15 * M, abs=1e-9
    )
    # weights by price relative to input: cache read 0.1, cache write 1.25, output 5, content 1, carry 0.1
    total = 1_000 + 10_000 * 0.1 + 2_000 * 1.25 + 500 * 5  # 7,000
    wasted = (600 + 1_000 + 5_000 * 0.1) + (400 + 100 * 5) + 500 + 2_000 * 1.25  # 6,000
    assert report.efficiency_score == round(100 * (1 - wasted / total), 2) == 14.29


def test_recommendations_carry_their_findings_money_in_usd_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding's advice saves exactly its settled waste (carry-over apart); plain advice saves nothing."""
    report = _analyze("sonnet", monkeypatch)
    recs = [
        (r.title, r.estimated_savings_tokens, r.estimated_savings_usd, r.issue_types, r.carryover_tokens)
        for r in report.recommendations
    ]
    assert recs == [
        ("Do A", 1_600, pytest.approx(1_600 * 3 * M + 5_000 * 0.3 * M, abs=1e-9), ("alpha",), 5_000),
        ("Do B", 500, pytest.approx(400 * 3 * M + 100 * 15 * M, abs=1e-9), ("beta",), 0),
        ("Plain advice", 0, None, (), 0),
    ]
    assert report.recommendations[0].carryover_usd == pytest.approx(5_000 * 0.3 * M, abs=1e-9)
    assert report.recommendations[0].detail == "detail A"


def test_unpriced_session_orders_by_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a price every USD is unknown, never $0, and findings and advice fall back to token order."""
    report = _analyze("my-private-llm", monkeypatch)
    assert [f.type for f in report.issues] == ["gee", "alpha", "gamma", "beta", "phi", "eps"]
    assert [f.waste_usd for f in report.issues] == [
        None,
        None,
        None,
        None,
        None,
        0.0,
    ]  # eps: 0 tokens cost $0
    phi = next(f for f in report.issues if f.type == "phi")
    assert phi.cost_usd is None
    assert (report.cost_usd, report.waste_usd, report.unavoidable_cost_usd) == (None, None, None)
    assert [r.title for r in report.recommendations] == ["Do A", "Do B", "Plain advice"]
    # unpriced: Anthropic's published ratios weigh the tokens the same as Sonnet's prices do
    assert report.efficiency_score == 14.29


def test_an_analyzer_returning_junk_is_an_analyzer_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything but a Draft or Recommendation is reported as that analyzer's TypeError; the others still run."""
    junk = _Fixed("junk", 0, [42])
    report = _analyze("sonnet", monkeypatch, (junk, *ANALYZERS))
    assert [(e.analyzer, e.error) for e in report.analyzer_errors] == [
        ("junk", "TypeError: analyzer returned int, expected Draft or Recommendation")
    ]
    assert len(report.issues) == 6


def test_notes_state_the_datas_limits() -> None:
    """Placeholder output counts, estimated token counts and redacted tool outputs each get their note."""
    ev = Events()
    ev.call(data={"output_incomplete": True})
    ev.call(data={"output_incomplete": True, "tokens_estimated": True})
    ev.add(EventType.TOOL_CALL, data={"tool": "Bash", "args_sha256": "a", "result_redacted": True})
    ev.add(EventType.TOOL_CALL, data={"tool": "Bash", "args_sha256": "b", "result_redacted": True})
    assert analyze_events(session(), ev.items).notes == (
        "error rate not measurable: all 2 tool output(s) are redacted in the source",
        "output tokens of 2 model call(s) are placeholders in the transcript: output tokens and cost are lower bounds",
        "token counts of 1 event(s) are estimates (the source only gives run totals)",
    )
    ev.tool("Bash", "c")
    report = analyze_events(session(), ev.items)
    assert report.notes[0] == "error rate measured on the tool calls with output (2 output(s) redacted)"
    assert report.metrics["error_rate"] == 0.0 and report.metrics["redacted_tool_outputs"] == 2.0


def test_metrics_the_alert_rules_read() -> None:
    """Fresh tokens, error rate to 4 decimals, spikes and thinking share, computed by hand."""
    ev = Events()
    ev.call(inp=100, cw=0, out=50)
    ev.tool("Bash", "a", error="exit 1")
    ev.tool("Bash", "b")
    ev.tool("Bash", "c")
    m = analyze_events(session(), ev.items).metrics
    assert m["fresh_tokens"] == 150.0
    assert m["error_rate"] == round(1 / 3, 4) == 0.3333
    assert (m["tool_calls"], m["agent_errors"], m["token_spikes"], m["max_token_spike_ratio"]) == (
        3.0,
        1.0,
        0.0,
        0.0,
    )
    assert (m["thinking_share"], m["thinking_tokens"]) == (0.0, 0.0)


def test_thinking_share_metric_and_one_hour_writes_without_writes() -> None:
    """600 of the session's 1,010 output tokens thinking: share 0.5941; a 1-hour split with no writes costs nothing."""
    ev = Events()
    ev.call(inp=100, out=1_000, reasoning_tokens=600)
    ev.call(inp=100, cw=0, out=10, data={"cache_write_1h_tokens": 5_000})
    report = analyze_events(session(), ev.items)
    assert (
        (report.metrics["thinking_share"], report.metrics["thinking_tokens"])
        == (round(600 / 1_010, 4), 600.0)
        == (0.5941, 600.0)
    )
    assert report.cost_usd == pytest.approx(200 * 3 * M + 1_010 * 15 * M, abs=1e-9)


def _one(model: str, monkeypatch: pytest.MonkeyPatch, *analyzers: Any, **call: int) -> OptimizationReport:
    monkeypatch.setattr(registry, "_loaded", analyzers)
    ev = Events()
    ev.call(**{"inp": 1_000, "cr": 0, "cw": 0, "out": 0, **call})
    return analyze_events(session(model=model), ev.items)


def test_invalid_and_exhausted_claims_do_not_stop_later_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty, fractional, unknown-event and already-claimed claims are skipped; the claim after them settles."""
    first = _Fixed("first", 1, [_draft("first", Severity.LOW, Claim("e0", "input", 1_000))])
    junk = (
        Claim("e0", "output", 0),
        Claim("e0", "output", 2.5),  # type: ignore[arg-type]
        Claim("missing", "input", 5),
        Claim("e0", "input", 7),  # every input token was claimed by `first`
        Claim("e0", "output", 1),
    )
    later = _Fixed("later", 2, [_draft("later", Severity.LOW, *junk)])
    report = _one("sonnet", monkeypatch, first, later, out=10)
    assert {f.type: dict(f.waste_by_kind) for f in report.issues} == {
        "first": {"input": 1_000},
        "later": {"output": 1},
    }


def test_claims_are_capped_by_what_each_pool_billed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Huge claims settle at the call's input, cache-read, cache-write and output; a model call holds no content."""
    pools: tuple[Pool, ...] = ("input", "cache_read", "cache_write", "output")
    greedy = _Fixed("greedy", 1, [_draft("greedy", Severity.LOW, *(Claim("e0", p, 10**9) for p in pools))])
    content = _Fixed("content", 2, [_draft("content", Severity.LOW, Claim("e0", "content", 10))])
    report = _one("sonnet", monkeypatch, greedy, content, cr=3_000, cw=2_000, out=500)
    [f] = report.issues
    assert dict(f.waste_by_kind) == {"input": 1_000, "cache_read": 3_000, "cache_write": 2_000, "output": 500}


def test_score_weights_follow_the_models_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    """gpt-4o weights (cached 0.5, output 4 x input): 500 of 1,900 weighted tokens wasted score 73.68, not 68.75."""
    waste = _Fixed("w", 1, [_draft("w", Severity.LOW, Claim("e0", "input", 500))])
    report = _one("gpt-4o", monkeypatch, waste, cr=1_000, out=100)
    assert report.efficiency_score == round(100 * (1 - 500 / (1_000 + 1_000 * 0.5 + 100 * 4)), 2) == 73.68


def test_score_extremes(monkeypatch: pytest.MonkeyPatch) -> None:
    """One wasted input token of 1,000 scores 99.9; waste as large as the session scores 0.0, never below."""
    one = _Fixed("w", 1, [_draft("w", Severity.LOW, Claim("e0", "input", 1))])
    assert _one("sonnet", monkeypatch, one).efficiency_score == 99.9
    everything = _Fixed("w", 1, [_draft("w", Severity.LOW, Claim("e0", "input", 1_000))])
    assert _one("sonnet", monkeypatch, everything).efficiency_score == 0.0
