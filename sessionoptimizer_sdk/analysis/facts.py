"""Compact facts an incremental analysis keeps about an event it may claim tokens from (not the event itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from sessionoptimizer_sdk.models import SessionEvent

from .claims import Claim, Pool

__all__ = ["EventFacts", "FactClaim", "content_claim", "fact_claim", "facts_of", "fresh_claims"]


class EventFacts(NamedTuple):
    """What settling and pricing a claim on one event needs: its id, model and token figures.

    A named tuple, not a slotted dataclass: a tuple of plain values is untracked by the cyclic GC, so the tens of
    thousands a long session keeps do not make every full collection walk them (measured: 3 gen-2 passes
    per 100,000-event analysis, ~15% of its CPU, with the dataclass).
    """

    id: str
    #: ``data['model']`` when the event names one (else the session's model applies).
    model: str | None
    input: int
    output: int
    cache_read: int
    cache_write: int
    #: Cache-write tokens written with the 1-hour TTL (Claude Code records the split).
    write_1h: int
    #: ``data['result_tokens']`` of a tool event (None when not logged).
    result_tokens: int | None

    def capacity(self, pool: Pool) -> int:
        """Tokens of ``pool`` this event holds (claims beyond it are trimmed by the ledger)."""
        if pool == "input":
            return self.input
        if pool == "cache_read":
            return self.cache_read
        if pool == "cache_write":
            return self.cache_write
        if pool == "output":
            return self.output
        if pool == "content":
            return self.result_tokens or 0
        return 2**62  # carry: bounded by the detector that computes it (see repeated_file_read)

    @property
    def content_tokens(self) -> int:
        """Tokens a tool event put into the context: ``result_tokens`` or, when absent, its billed input."""
        return self.input if self.result_tokens is None else self.result_tokens


_new_facts = tuple.__new__
_new_claim = object.__new__


def _int(value: object) -> int | None:
    if type(value) is int:
        return value if value >= 0 else None
    if type(value) is float and 0 <= value < 1e18:
        return int(value)
    return None


def facts_of(e: SessionEvent) -> EventFacts:
    """The facts of one event."""
    d = e.data
    model = d.get("model")
    cw = e.cache_write_tokens
    w1h = (_int(d.get("cache_write_1h_tokens")) or 0) if cw and "cache_write_1h_tokens" in d else 0
    result = d.get("result_tokens")
    if result is not None and (type(result) is not int or result < 0):
        result = _int(result)
    return _new_facts(  # tuple.__new__: skips the named tuple's Python-level __new__ (one per billed event)
        EventFacts,
        (
            e.id,
            model if type(model) is str and model else None,
            e.tokens_input,
            e.tokens_output,
            e.cache_read_tokens,
            cw,
            w1h,
            result,
        ),
    )


@dataclass(frozen=True, slots=True)
class FactClaim(Claim):
    """A claim that carries its event's facts, so it settles and prices without the event at hand."""

    facts: EventFacts | None = None


def _slot_setters() -> tuple[Callable[[FactClaim, Any], None], ...] | None:
    """:class:`FactClaim`'s slot setters in field order, or None if the class is not the one this module knows.

    The frozen dataclass's ``__init__`` stores each field through ``object.__setattr__`` (~1 us a claim, and a
    long session's report makes tens of thousands); ``object.__new__`` plus the slot setters store the same
    values in half the time (``store/_rows.py`` does the same for events). A changed class keeps the constructor.
    """
    if tuple(f.name for f in fields(FactClaim)) != _CLAIM_FIELDS or "__post_init__" in vars(FactClaim):
        return None
    return tuple(getattr(FactClaim, name).__set__ for name in _CLAIM_FIELDS)


_CLAIM_FIELDS = ("event_id", "pool", "tokens", "net_of", "facts")
_SETTERS = _slot_setters()


def fact_claim(f: EventFacts, pool: Pool, tokens: int) -> Claim:
    """``FactClaim(f.id, pool, tokens, None, f)``, without the frozen dataclass's ``__init__``."""
    if _SETTERS is None:
        return FactClaim(f.id, pool, tokens, None, f)
    s0, s1, s2, s3, s4 = _SETTERS
    c = _new_claim(FactClaim)
    s0(c, f.id)
    s1(c, pool)
    s2(c, tokens)
    s3(c, None)
    s4(c, f)
    return c


def fresh_claims(f: EventFacts) -> list[Claim]:
    """Claims on all of an event's fresh tokens (uncached input, cache writes, output)."""
    out: list[Claim] = []
    if f.input > 0:
        out.append(fact_claim(f, "input", f.input))
    if f.cache_write > 0:
        out.append(fact_claim(f, "cache_write", f.cache_write))
    if f.output > 0:
        out.append(fact_claim(f, "output", f.output))
    return out


def content_claim(f: EventFacts, tokens: int) -> Claim:
    """A claim on a tool event's content (``content`` pool, or ``input`` when that is where it was billed)."""
    return fact_claim(f, "content" if f.result_tokens is not None else "input", tokens)
