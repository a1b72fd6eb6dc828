"""Settles claims so that no token is counted as waste by two findings: first claim wins, capped by the pool."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sessionoptimizer_sdk.models import SessionEvent

from .base import Claim, Pool
from .context import get_int

__all__ = ["Ledger"]


def _capacity(e: SessionEvent, pool: Pool) -> int:
    if pool == "input":
        return e.tokens_input
    if pool == "cache_read":
        return e.cache_read_tokens
    if pool == "cache_write":
        return e.cache_write_tokens
    if pool == "output":
        return e.tokens_output
    if pool == "content":
        return get_int(e.data, "result_tokens") or 0
    return 2**62  # carry: bounded by the detector that computes it (see repeated_file_read)


class Ledger:
    """Remaining claimable tokens per (event, pool); a claim beyond what remains is trimmed."""

    def __init__(self, events: Sequence[SessionEvent]) -> None:
        self._events = {e.id: e for e in events}
        self._used: dict[tuple[str, Pool], int] = {}

    def settle(self, claims: Iterable[Claim]) -> list[Claim]:
        """Claims trimmed to what is still unclaimed (zero-token claims are dropped), recorded as used."""
        out: list[Claim] = []
        for c in claims:
            if not isinstance(c, Claim) or not isinstance(c.tokens, int) or c.tokens <= 0:
                continue
            event = self._events.get(c.event_id)
            if event is None:
                continue
            key = (c.event_id, c.pool)
            used = self._used.get(key, 0)
            take = min(c.tokens, _capacity(event, c.pool) - used)
            if take <= 0:
                continue
            self._used[key] = used + take
            out.append(Claim(c.event_id, c.pool, take, c.net_of))
        return out

    def event(self, event_id: str) -> SessionEvent | None:
        """The event with this id (for pricing a claim)."""
        return self._events.get(event_id)
