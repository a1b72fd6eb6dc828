"""A live report's kept settlements give exactly what settling every claim again gives, report after report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis.claims import FRESH_POOLS, Claim
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.facts import fact_claim, facts_of
from sessionoptimizer_sdk.analysis.ledger import Ledger
from sessionoptimizer_sdk.analysis.pricing import Pricer
from sessionoptimizer_sdk.analysis.scoring import DEFAULT_WEIGHTS
from sessionoptimizer_sdk.analysis.settlement import Kept, Outcome, Settler, claims_usd
from sessionoptimizer_sdk.models import EventType, SessionEvent

from ._builders import T0

_DAY = datetime(2026, 1, 21, tzinfo=UTC)
#: A priced model, one the price data does not know (unpriced), and None (the session's model applies).
_MODELS = ("sonnet", "no-such-model-x", None)
_POOLS = ("input", "output", "cache_read", "cache_write", "content", "carry")


def _events(specs: Sequence[tuple[int, int, int, int, int | None, str | None]]) -> list[SessionEvent]:
    """Tool and model events with the given token figures (ids e0, e1, ...)."""
    out = []
    for i, (inp, output, cr, cw, result, model) in enumerate(specs):
        data: dict[str, object] = {}
        if result is not None:
            data["result_tokens"] = result
        if model is not None:
            data["model"] = model
        out.append(
            SessionEvent(
                id=f"e{i}",
                session_id="s1",
                event_type=EventType.AI_RESPONSE,
                timestamp=T0,
                tokens_input=inp,
                tokens_output=output,
                cache_read_tokens=cr,
                cache_write_tokens=cw,
                data=data,
                seq=i,
            )
        )
    return out


def _reference(claims: Sequence[object], ledger: Ledger, pricer: Pricer) -> Outcome:
    """Settle with ``Ledger.settle`` and price the result: what the engine did before settlements were kept."""
    settled = ledger.settle(claims)  # type: ignore[arg-type]
    by_kind: dict[str, int] = {}
    for c in settled:
        key = "cache_read_carryover" if c.pool == "carry" else c.pool
        by_kind[key] = by_kind.get(key, 0) + c.tokens
    weighted = 0.0
    for c in settled:
        w = DEFAULT_WEIGHTS[c.pool] - (DEFAULT_WEIGHTS[c.net_of] if c.net_of else 0.0)
        weighted += c.tokens * max(w, 0.0)
    usd, carry = claims_usd(settled, ledger, "sonnet", pricer)
    waste = sum(c.tokens for c in settled if c.pool in FRESH_POOLS)
    return Outcome(len(settled), by_kind, waste, weighted, usd, carry)


_event_spec = st.tuples(
    st.integers(0, 300),
    st.integers(0, 300),
    st.integers(0, 3_000),
    st.integers(0, 300),
    st.one_of(st.none(), st.integers(0, 500)),
    st.sampled_from(_MODELS),
)
#: A claim: event index, pool, tokens (some not positive), plain (looked up in the ledger) or carrying facts.
_claim_spec = st.tuples(
    st.integers(0, 2),
    st.sampled_from(_POOLS),
    st.integers(-5, 400),
    st.sampled_from([False, False, False, False, True]),
    st.sampled_from([None, None, "input"]),
)
#: A change between reports: (kind, draft, position, new claim).
_change = st.tuples(
    st.sampled_from(
        [
            "append",
            "append",
            "last",
            "replace",
            "drop_last",
            "drop_last",
            "new_draft",
            "drop_draft",
            "rebuild",
        ]
    ),
    st.integers(0, 7),
    st.integers(0, 30),
    _claim_spec,
)


@settings(max_examples=300, deadline=None)
@given(
    with_events=st.booleans(),
    specs=st.lists(_event_spec, min_size=3, max_size=3),
    drafts=st.lists(st.lists(_claim_spec, min_size=2, max_size=8), min_size=2, max_size=5),
    changes=st.lists(st.lists(_change, min_size=1, max_size=3), min_size=2, max_size=8),
    dropped=st.sets(st.integers(0, 8), max_size=3),
)
def test_kept_settlements_equal_settling_everything_again(
    with_events: bool,
    specs: list[tuple[int, int, int, int, int | None, str | None]],
    drafts: list[list[tuple[int, str, int, bool, str | None]]],
    changes: list[list[tuple[str, int, int, tuple[int, str, int, bool, str | None]]]],
    dropped: set[int],
) -> None:
    """Drafts that grow, change their last or an earlier claim, or compete for one event's pools: same outcomes.

    Some reports' settlements are not kept (as if the report had failed), so later ones reuse older settlements.
    """
    events = _events(specs)
    facts = [facts_of(e) for e in events]
    # Without events (as in a live report), a plain claim finds facts only where an earlier claim left them.
    known = events if with_events else []

    def claim(spec: tuple[int, str, int, bool, str | None]) -> Claim:
        i, pool, tokens, plain, net_of = spec
        if plain:
            return Claim(f"e{i}", pool, tokens, net_of)  # type: ignore[arg-type]
        c = fact_claim(facts[i], pool, tokens)  # type: ignore[arg-type]
        return c if net_of is None else type(c)(c.event_id, c.pool, c.tokens, net_of, facts[i])  # type: ignore[call-arg, arg-type]

    report = [[claim(s) for s in d] for d in drafts]
    kept: dict[object, Kept] = {}
    for number, step in enumerate([[], *changes]):
        # Claims that stay the same stay the same objects, as analyzers keep them.
        for kind, d, pos, spec in step:
            if kind == "new_draft" or not report:
                report.insert(d % (len(report) + 1), [claim(spec)])
                continue
            draft = report[d % len(report)]
            if kind == "append":
                draft.append(claim(spec))
            elif kind == "last" and draft:
                draft[-1] = claim(spec)
            elif kind == "replace" and draft:
                draft[pos % len(draft)] = claim(spec)
            elif kind == "drop_last" and draft:
                draft.pop()
            elif kind == "drop_draft":
                report.pop(d % len(report))
            elif kind == "rebuild":  # equal claims, new objects
                report[d % len(report)] = [dataclasses.replace(c) for c in draft]
        pricer, ref_pricer = Pricer(AnalysisConfig(), _DAY), Pricer(AnalysisConfig(), _DAY)
        settler = Settler(Ledger(known), pricer, "sonnet", DEFAULT_WEIGHTS, kept)
        reference = Ledger(known)
        for index, draft in enumerate(report):
            got, expected = settler.settle(index, draft), _reference(draft, reference, ref_pricer)
            assert got == expected
            assert list(got.by_kind) == list(expected.by_kind)  # the report lists kinds in this order
        used, ref_used = settler.ledger._used, reference._used
        assert all(used.get(k, 0) == ref_used.get(k, 0) for k in used.keys() | ref_used.keys())
        assert (pricer.status(), pricer.unpriced) == (ref_pricer.status(), ref_pricer.unpriced)
        assert settler.keep is not None
        if number not in dropped:  # a dropped report's are not kept: the next reuses the older ones
            kept = settler.keep


def test_a_report_whose_settlements_were_not_kept_leaves_the_older_ones_as_they_were() -> None:
    """A plain claim finds no facts for an event only a dropped report settled (no events at hand, as live)."""
    events = _events([(0, 0, 0, 0, 500, None)] * 3)
    e0, e1, _ = (facts_of(e) for e in events)
    a, b = fact_claim(e0, "content", 10), fact_claim(e1, "content", 10)

    def report(kept: dict[object, Kept], claims: Sequence[Claim]) -> tuple[Outcome, dict[object, Kept]]:
        settler = Settler(Ledger(), Pricer(AnalysisConfig(), _DAY), "sonnet", DEFAULT_WEIGHTS, kept)
        outcome = settler.settle(0, claims)
        assert settler.keep is not None
        return outcome, settler.keep

    _, first = report({}, [a, fact_claim(e0, "carry", 5)])
    report(first, [a, b, fact_claim(e0, "carry", 6)])  # settles on e1; its settlements are dropped
    outcome, _ = report(first, [a, Claim("e1", "content", 7)])
    assert (outcome.settled, outcome.by_kind) == (
        1,
        {"content": 10},
    )  # the plain claim on e1: no facts, skipped
