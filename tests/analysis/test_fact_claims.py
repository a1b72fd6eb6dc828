"""Claims built without the frozen dataclass's __init__ are the same values the constructor builds."""

from __future__ import annotations

import dataclasses

import pytest

from sessionoptimizer_sdk.analysis import facts as facts_module
from sessionoptimizer_sdk.analysis.facts import EventFacts, FactClaim, content_claim, fact_claim, fresh_claims
from sessionoptimizer_sdk.analysis.ledger import Ledger

_F = EventFacts("e7", "opus", 120, 30, 4_000, 900, 0, 2_500)


def test_fast_claims_equal_constructed_ones_and_stay_frozen() -> None:
    """fact_claim gives a FactClaim equal to FactClaim(...), refusing attribute writes."""
    claim = fact_claim(_F, "output", 25)
    assert facts_module._SETTERS is not None  # the fast path is the one that runs today
    assert type(claim) is FactClaim
    assert claim == FactClaim("e7", "output", 25, None, _F)
    with pytest.raises(dataclasses.FrozenInstanceError):
        claim.tokens = 1  # type: ignore[misc]


def test_fresh_and_content_claims_name_each_billed_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh claims cover input 120, cache writes 900 and output 30; content claims the logged 2,500 pool."""
    expected = [
        FactClaim("e7", "input", 120, None, _F),
        FactClaim("e7", "cache_write", 900, None, _F),
        FactClaim("e7", "output", 30, None, _F),
    ]
    assert fresh_claims(_F) == expected
    assert content_claim(_F, 700) == FactClaim("e7", "content", 700, None, _F)
    monkeypatch.setattr(facts_module, "_SETTERS", None)  # a changed FactClaim: the constructor path
    assert fresh_claims(_F) == expected


def test_ledger_caps_each_pool_at_what_the_event_billed() -> None:
    """Claims on one event settle up to its input 120, output 30, cache reads 4,000 and content 2,500."""
    ledger = Ledger()
    settled = ledger.settle(
        [
            fact_claim(_F, "input", 100),
            fact_claim(_F, "input", 100),  # 20 left of 120
            fact_claim(_F, "output", 50),  # capped at 30
            fact_claim(_F, "cache_read", 5_000),  # capped at 4,000
            fact_claim(_F, "content", 3_000),  # capped at 2,500
        ]
    )
    assert [(c.pool, c.tokens) for c in settled] == [
        ("input", 100),
        ("input", 20),
        ("output", 30),
        ("cache_read", 4_000),
        ("content", 2_500),
    ]
