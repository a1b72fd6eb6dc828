"""Settles claims so that no token is counted as waste by two findings: first claim wins, capped by the pool."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from sessionoptimizer_sdk.models import SessionEvent

from .base import Claim
from .facts import EventFacts, facts_of

__all__ = ["Ledger"]

#: Where ``EventFacts.capacity(pool)`` reads a billed pool's tokens (the other pools go through the method).
_CAPACITY_AT = {"input": 2, "output": 3, "cache_read": 4, "cache_write": 5}


class Ledger:
    """Remaining claimable tokens per (event, pool); a claim beyond what remains is trimmed.

    A claim made by an incremental analyzer carries its event's facts; a plain :class:`Claim` (an analyzer that
    only has ``analyze(ctx)``) is looked up among ``events`` (a final report's), built on first need.
    """

    def __init__(self, events: Sequence[SessionEvent] | Callable[[], Sequence[SessionEvent]] = ()) -> None:
        self._source = events
        self._events: Mapping[str, SessionEvent] | None = None
        self._facts: dict[str, EventFacts] = {}
        self._recorded: list[Mapping[str, EventFacts]] = []
        self._used: dict[tuple[str, str], int] = {}

    def record(self, facts: Mapping[str, EventFacts]) -> None:
        """Facts of events that claims settled elsewhere (a kept settlement): found by :meth:`lookup` too."""
        if facts:
            self._recorded.append(facts)

    def lookup(self, c: Claim) -> EventFacts | None:
        """The facts of the event a claim is on (None for an unknown event)."""
        facts = getattr(c, "facts", None)
        if facts is not None:
            return facts  # type: ignore[no-any-return]
        known = self._facts.get(c.event_id)
        if known is not None:
            return known
        for recorded in self._recorded:
            known = recorded.get(c.event_id)
            if known is not None:
                return known
        if self._events is None:
            source = self._source
            self._events = {e.id: e for e in (source() if callable(source) else source)}
        e = self._events.get(c.event_id)
        if e is None:
            return None
        known = self._facts[c.event_id] = facts_of(e)
        return known

    def take(self, c: Claim, facts: EventFacts, key: tuple[str, str]) -> int:
        """Settle one claim (``key``: its event and pool): the tokens it takes of what remains, recorded as used.

        Its pool is written even when nothing remains, so that every pool a settled claim drew on is in the ledger
        (a kept settlement restores and checks exactly those: ``settlement.Kept``).
        """
        used_of = self._used
        pool = c.pool
        used = used_of.get(key, 0)
        at = _CAPACITY_AT.get(pool) if type(facts) is EventFacts else None
        # capacity(), inline for the billed kinds (their token counts sit at fixed places of the tuple)
        capacity: int = facts[at] if at is not None else facts.capacity(pool)  # type: ignore[assignment]
        take = min(c.tokens, capacity - used)
        if take <= 0:
            used_of[key] = used
            return 0
        used_of[key] = used + take
        if c.event_id not in self._facts:
            self._facts[c.event_id] = facts
        return take

    def settle(self, claims: Iterable[Claim]) -> list[Claim]:
        """Claims trimmed to what is still unclaimed (zero-token claims are dropped), recorded as used.

        A claim settled whole is returned as it is (claims are immutable): only a trimmed one is rebuilt.
        """
        out: list[Claim] = []
        for c in claims:
            if not isinstance(c, Claim) or not isinstance(c.tokens, int) or c.tokens <= 0:
                continue
            facts = getattr(c, "facts", None)  # lookup()'s first step, inline: most claims carry their facts
            if facts is None:
                facts = self.lookup(c)
                if facts is None:
                    continue
            take = self.take(c, facts, (c.event_id, c.pool))
            if take > 0:
                out.append(c if take == c.tokens else Claim(c.event_id, c.pool, take, c.net_of))
        return out
