"""Settling a finding's claims and pricing them in one pass, with the result kept for a session's next report.

A claim's settled tokens depend only on its own tokens, its pool's capacity on its event, and what earlier claims
took from that same (event, pool). So a live report can reuse what it settled for a draft last time, as long as
the draft's first claims are the same and every pool they draw from held exactly what it held then when the draft
began; only the claims after them are settled and priced again. The result is the same as settling the whole
draft, sum for sum, in the same order (a session's live report equals its full analysis: a property test holds it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .claims import FRESH_POOLS, Claim, Pool
from .facts import EventFacts
from .ledger import Ledger
from .pricing import ModelRates, Pricer

__all__ = ["Kept", "Outcome", "Settler", "claims_usd"]

_Key = tuple[str, str]


class Outcome(NamedTuple):
    """One draft's claims, settled and priced."""

    #: Claims that settled a positive number of tokens.
    settled: int
    #: Settled tokens per kind (``carry`` reported as ``cache_read_carryover``), in order of first appearance.
    by_kind: dict[str, int]
    #: Settled tokens of the fresh pools (the finding's ``waste_tokens``).
    waste: int
    #: Settled tokens weighted by their price relative to uncached input (the score's waste).
    weighted: float
    #: USD of the settled claims, and the cache-read carry-over part of it (None when a model is unpriced).
    usd: float | None
    carry_usd: float | None


class _Tally:
    """Running figures of one draft's settlement (copied as they stand after the claims a next report reuses)."""

    __slots__ = ("by_kind", "carry", "known", "models", "priced", "settled", "usd", "waste", "weighted")

    def __init__(self) -> None:
        self.settled = self.waste = 0
        self.weighted = self.usd = self.carry = 0.0
        self.priced = True
        self.by_kind: dict[str, int] = {}
        #: Models whose rates the pricing looked up, in order (a report's pricing status names them).
        self.models: list[str | None] = []
        #: Facts the settled claims recorded in the ledger (for plain claims on the same events after them).
        self.known: dict[str, EventFacts] = {}

    def copy(self) -> _Tally:
        """The same figures, to go on from without changing these."""
        t = _Tally.__new__(_Tally)  # no __init__: every slot is set here
        t.settled, t.waste, t.weighted, t.usd, t.carry, t.priced = (
            self.settled,
            self.waste,
            self.weighted,
            self.usd,
            self.carry,
            self.priced,
        )
        t.by_kind, t.models = dict(self.by_kind), list(self.models)
        t.known = self.known  # shared: a settlement copies it before adding to it
        return t

    def outcome(self) -> Outcome:
        """The draft's outcome: USD rounded to 6 decimals, or None when a model is unpriced."""
        if not self.priced:
            return Outcome(self.settled, self.by_kind, self.waste, self.weighted, None, None)
        return Outcome(
            self.settled, self.by_kind, self.waste, self.weighted, round(self.usd, 6), round(self.carry, 6)
        )


class Kept(NamedTuple):
    """What a report settled for one draft's first ``cut`` claims, for the next report of the same session."""

    #: The draft's first ``cut`` claims.
    head: tuple[object, ...]
    cut: int
    #: The (event, pool) of each valid claim among the first ``cut``, and what it held when the draft began.
    keys: list[_Key]
    before: list[int | None]
    #: What those pools held after the first ``cut`` claims.
    after: dict[_Key, int]
    tally: _Tally


class Settler:
    """Settles one report's drafts in order against one ledger, and prices them.

    ``kept`` holds the previous report's :class:`Kept` per draft slot (``None``: keep nothing, as a one-off full
    analysis does); after the report, :attr:`keep` holds this report's, for the next.
    """

    def __init__(
        self,
        ledger: Ledger,
        pricer: Pricer,
        session_model: str | None,
        weights: Mapping[Pool, float],
        kept: Mapping[object, Kept] | None = None,
    ) -> None:
        self.ledger = ledger
        self.pricer = pricer
        self._session_model = session_model
        self._weights = weights
        self._kept = kept
        self.keep: dict[object, Kept] | None = None if kept is None else {}
        self._base: dict[str | None, dict[str, float]] = {}  # each model's base rates, per pool

    def settle(self, slot: object, claims: Sequence[object]) -> Outcome:
        """Settle and price ``claims`` (one avoidable draft's) after every draft settled before on this ledger."""
        claims = tuple(claims)
        used_of = self.ledger._used
        kept = None if self._kept is None else self._kept.get(slot)
        if (
            kept is not None
            and len(claims) >= kept.cut
            and claims[: kept.cut] == kept.head
            and list(map(used_of.get, kept.keys)) == kept.before
        ):
            start, tally, keys, before = kept.cut, kept.tally.copy(), kept.keys, kept.before
            self.ledger.record(tally.known)  # before the claims after them look up their events
        else:
            start, tally, keys, before, kept = 0, _Tally(), [], [], None
        # The next report reuses all but the last claim (the one a live finding most often changes), or at least
        # what this one reused.
        cut = max(len(claims) - 1, start) if self.keep is not None else -1
        todo = self._valid(claims, start)
        # Kept only if every claim it keeps carries its facts (those it reused do: they were kept).
        keepable = cut > 0 and (cut <= start or all(i >= cut or f is not None for i, _c, f, _k in todo))
        if keepable and cut > start:  # what the pools of the newly kept claims hold as the draft begins
            fresh = [k for i, _c, _f, k in todo if i < cut]
            keys, before = keys + fresh, before + list(map(used_of.get, fresh))
            tally.known = dict(tally.known)
        if kept is not None:
            used_of.update(kept.after)
            # The look-ups its pricing made: the report's pricing status stays the same.
            for model in tally.models:
                self.pricer.rates(model)  # type: ignore[arg-type]
        snapshot: Kept | None = None
        for i, c, facts, key in todo:
            if i >= cut and keepable and snapshot is None:
                snapshot = self._snapshot(claims, cut, keys, before, kept if start == cut else None, tally)
            if facts is None:
                facts = self.ledger.lookup(c)
                if facts is None:
                    continue
            self._take(tally, c, facts, key, keepable and i < cut)
        if keepable and self.keep is not None:
            if snapshot is None:
                snapshot = self._snapshot(claims, cut, keys, before, kept if start == cut else None, tally)
            self.keep[slot] = snapshot
        return tally.outcome()

    def _take(self, tally: _Tally, c: Claim, facts: EventFacts, key: _Key, kept: bool) -> None:
        """Settle one claim against the ledger, and add it to ``tally`` (``kept``: the next report reuses it)."""
        take = self.ledger.take(c, facts, key)
        if take <= 0:
            return
        pool = c.pool
        if kept:
            tally.known[c.event_id] = facts
        tally.settled += 1
        kind = "cache_read_carryover" if pool == "carry" else pool
        tally.by_kind[kind] = tally.by_kind.get(kind, 0) + take
        net_of = c.net_of
        if pool in FRESH_POOLS:
            tally.waste += take
        weights = self._weights
        tally.weighted += take * max(weights[pool] - (weights[net_of] if net_of else 0.0), 0.0)
        if not tally.priced:
            return
        model = facts.model or self._session_model
        rates = self.pricer.rates(model)  # type: ignore[arg-type]
        if model not in tally.models:
            tally.models.append(model)
        if rates is None:
            tally.priced = False
            return
        base = self._base.get(model)
        if base is None:
            base = self._base[model] = {}
        value = _usd(rates, facts, pool, net_of, take, base)
        tally.usd += value
        if pool == "carry":
            tally.carry += value

    def _snapshot(
        self,
        claims: tuple[object, ...],
        cut: int,
        keys: list[_Key],
        before: list[int | None],
        reused: Kept | None,
        tally: _Tally,
    ) -> Kept:
        """The draft's state after its first ``cut`` claims (``reused``: the kept one it equals)."""
        if reused is not None:
            return reused  # the same first claims, pools and figures: kept as it is
        after = dict(zip(keys, map(self.ledger._used.__getitem__, keys), strict=True))
        return Kept(claims[:cut], cut, keys, before, after, tally.copy())

    @staticmethod
    def _valid(claims: tuple[object, ...], start: int) -> list[tuple[int, Claim, EventFacts | None, _Key]]:
        """The claims from ``start`` that can settle (a positive whole number of tokens), with their facts if held.

        A plain claim's facts are looked up when it settles: a claim before it on the same event may record them.
        """
        out: list[tuple[int, Claim, EventFacts | None, _Key]] = []
        for i in range(start, len(claims)):
            c = claims[i]
            if not isinstance(c, Claim) or not isinstance(c.tokens, int) or c.tokens <= 0:
                continue
            out.append((i, c, getattr(c, "facts", None), (c.event_id, c.pool)))
        return out


def claims_usd(
    claims: Sequence[Claim], ledger: Ledger, session_model: str | None, pricer: Pricer
) -> tuple[float | None, float | None]:
    """USD of ``claims`` as they are (not settled), and the cache-read carry-over part of it (None: unpriced).

    A pool's rate at a prompt size within the model's first tier is its base rate: looked up once per model.
    """
    usd = carry = 0.0
    last: str | None = None
    rates: ModelRates | None = None
    base: dict[str, float] = {}
    for c in claims:
        f = ledger.lookup(c)
        if f is None:
            continue
        model = f.model or session_model
        if model != last:
            last, rates, base = model, pricer.rates(model), {}  # type: ignore[arg-type]
        if rates is None:
            return None, None
        value = _usd(rates, f, c.pool, c.net_of, c.tokens, base)
        usd += value
        if c.pool == "carry":
            carry += value
    return round(usd, 6), round(carry, 6)


def _usd(
    rates: ModelRates, f: EventFacts, pool: Pool, net_of: Pool | None, tokens: int, base: dict[str, float]
) -> float:
    """USD of ``tokens`` of ``pool`` on the event of ``f`` (less ``net_of``'s rate), at the event's prompt size."""
    prompt = f.input + f.cache_read + f.cache_write
    if pool == "cache_write":
        gross = rates.write_rate(f.cache_write, f.write_1h, prompt)
    else:
        gross = _rate(rates, pool, prompt, base)
    return tokens * max(gross - (_rate(rates, net_of, prompt, base) if net_of else 0.0), 0.0)


def _rate(rates: ModelRates, pool: Pool, prompt: int, base: dict[str, float]) -> float:
    """``rates.rate(pool, prompt)``; within the first tier from ``base`` (the pool's base rate, cached)."""
    if prompt > rates.first_tier:
        return rates.rate(pool, prompt)
    rate = base.get(pool)
    if rate is None:
        rate = base[pool] = rates.rate(pool, prompt)
    return rate
