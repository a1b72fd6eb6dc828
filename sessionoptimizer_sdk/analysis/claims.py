"""Token claims: the pools an analyzer can claim waste from, and a claim on one event's pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FRESH_POOLS", "POOLS", "Claim", "Pool"]

#: Token pools a claim can draw from: an event's billed kinds, ``content`` (tokens a tool returned into the
#: context) or ``carry`` (cache reads of redundant content carried by later calls; bounded by its detector).
Pool = Literal["input", "cache_read", "cache_write", "output", "content", "carry"]
POOLS: tuple[Pool, ...] = ("input", "cache_read", "cache_write", "output", "content", "carry")
#: Pools whose settled claims count in ``waste_tokens`` (fresh tokens; cache reads are reported apart).
FRESH_POOLS: frozenset[Pool] = frozenset({"input", "cache_write", "output", "content"})


@dataclass(frozen=True, slots=True)
class Claim:
    """``tokens`` of ``pool`` on event ``event_id`` are waste; ``net_of`` prices them minus that pool's rate."""

    event_id: str
    pool: Pool
    tokens: int
    net_of: Pool | None = None
