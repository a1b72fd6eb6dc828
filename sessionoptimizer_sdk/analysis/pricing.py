"""USD prices per token kind from ``genai-prices``, behind the spec's short model names and free models.

The library is asked once per model (per day) for its price sheet; events are then priced here with the
same cliff-tier rule it uses (a request whose prompt crosses a tier pays the tier rate on every token), which
keeps 100,000 events well under a second. An unknown model is *unpriced*, never $0; a free model is $0.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sessionoptimizer_sdk._internal.rate_table import default_table
from sessionoptimizer_sdk.models import TokenUsage

from .base import Pool
from .config import AnalysisConfig

__all__ = ["FREE", "KindRate", "ModelRates", "Pricer", "cached_rates", "resolve_rates"]

_PER_MTOK = 1_000_000.0


@dataclass(frozen=True, slots=True)
class KindRate:
    """USD per token of one kind: a base rate and ``(prompt_tokens_above, rate)`` tiers, ascending."""

    base: float
    tiers: tuple[tuple[int, float], ...] = ()

    def at(self, prompt_tokens: int) -> float:
        """The rate for a request whose prompt (input + cache read + cache write) is ``prompt_tokens``."""
        rate = self.base
        for start, tier_rate in self.tiers:
            if prompt_tokens > start:
                rate = tier_rate
        return rate


@dataclass(frozen=True, slots=True)
class ModelRates:
    """Per-token rates of one model, for each billed kind."""

    model_id: str
    input: KindRate
    cache_read: KindRate
    cache_write: KindRate
    output: KindRate
    #: Prompt size at or under which every kind is at its base rate.
    first_tier: float = float("inf")
    #: Anthropic's 1-hour cache writes: twice the input rate (5-minute writes are ``cache_write``, 1.25x).
    cache_write_1h: KindRate = KindRate(0.0)

    def __post_init__(self) -> None:
        starts = [
            start
            for k in (self.input, self.cache_read, self.cache_write, self.output)
            for start, _ in k.tiers
        ]
        object.__setattr__(self, "first_tier", float(min(starts)) if starts else float("inf"))
        doubled = KindRate(self.input.base * 2, tuple((at, r * 2) for at, r in self.input.tiers))
        object.__setattr__(self, "cache_write_1h", doubled)

    def write_rate(self, cache_write: int, cache_write_1h: int, prompt_tokens: int = 0) -> float:
        """USD per cache-written token of a request whose writes include ``cache_write_1h`` 1-hour ones."""
        five = self.cache_write.at(prompt_tokens)
        if cache_write <= 0 or cache_write_1h <= 0:
            return five
        hour = min(cache_write_1h, cache_write)
        return ((cache_write - hour) * five + hour * self.cache_write_1h.at(prompt_tokens)) / cache_write

    def rate(self, pool: Pool, prompt_tokens: int = 0) -> float:
        """USD per token of ``pool`` (``content`` is priced as input) at a given prompt size."""
        kind = {"content": self.input, "carry": self.cache_read}.get(pool) or getattr(self, pool)
        assert isinstance(kind, KindRate)
        return kind.at(prompt_tokens)

    def cost(self, usage: TokenUsage) -> float:
        """USD of one request's usage."""
        return self.cost_of(
            usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens, usage.output_tokens
        )

    def cost_of(
        self, input_tokens: int, cache_read: int, cache_write: int, output: int, cache_write_1h: int = 0
    ) -> float:
        """USD of one request's token counts; ``cache_write_1h`` of the writes are 1-hour ones (2x input)."""
        prompt = input_tokens + cache_read + cache_write
        hour = min(cache_write_1h, cache_write)
        if prompt <= self.first_tier:
            return (
                input_tokens * self.input.base
                + cache_read * self.cache_read.base
                + (cache_write - hour) * self.cache_write.base
                + hour * self.cache_write_1h.base
                + output * self.output.base
            )
        return (
            input_tokens * self.input.at(prompt)
            + cache_read * self.cache_read.at(prompt)
            + (cache_write - hour) * self.cache_write.at(prompt)
            + hour * self.cache_write_1h.at(prompt)
            + output * self.output.at(prompt)
        )


_ZERO = KindRate(0.0)
#: The rates of an agent or model configured as free (e.g. the spec's BOLT): $0 on purpose.
FREE = ModelRates("free", _ZERO, _ZERO, _ZERO, _ZERO)


def _kind_rate(value: Any, fallback: KindRate | None) -> KindRate | None:
    if value is None:
        return fallback
    if isinstance(value, Decimal | int | float):
        return KindRate(float(value) / _PER_MTOK)
    base = getattr(value, "base", None)
    tiers = getattr(value, "tiers", None)
    if base is None or tiers is None:
        return fallback
    steps = tuple(sorted((int(t.start), float(t.price) / _PER_MTOK) for t in tiers))
    return KindRate(float(base) / _PER_MTOK, steps)


@functools.lru_cache(maxsize=256)
def resolve_rates(model_ref: str, day: date) -> ModelRates | str:
    """The library's rates for ``model_ref`` on ``day``, or a string saying why it has none."""
    from genai_prices import Usage, calc_price

    candidates = [model_ref]
    for sep in ("/", ":"):
        if sep in model_ref:
            candidates.append(model_ref.rsplit(sep, 1)[-1])
    when = datetime(day.year, day.month, day.day)
    for ref in candidates:
        try:
            calc = calc_price(Usage(input_tokens=1, output_tokens=1), ref, genai_request_timestamp=when)
        except (LookupError, ValueError):
            continue
        mp = calc.model_price
        inp = _kind_rate(getattr(mp, "input_mtok", None), None)
        out = _kind_rate(getattr(mp, "output_mtok", None), None)
        if inp is None or out is None:
            return f"genai-prices has no token prices for model {model_ref!r}"
        cr = _kind_rate(getattr(mp, "cache_read_mtok", None), inp)
        cw = _kind_rate(getattr(mp, "cache_write_mtok", None), inp)
        assert cr is not None
        assert cw is not None
        return ModelRates(str(calc.model.id), inp, cr, cw, out)
    return f"model {model_ref!r} is not in the genai-prices database"


@functools.lru_cache(maxsize=256)
def cached_rates(model_ref: str, day: date) -> ModelRates | str:
    """:func:`resolve_rates` through the on-disk rate table: a process pricing known models skips genai-prices."""
    table = default_table()
    key = f"{model_ref}|{day.isoformat()}"
    found = _decode(table.get(key))
    if found is None:
        found = resolve_rates(model_ref, day)
        table.put(key, _encode(found))
    return found


def _encode(value: ModelRates | str) -> dict[str, Any]:
    if isinstance(value, str):
        return {"why": value}
    kinds = (value.input, value.cache_read, value.cache_write, value.output)
    return {"id": value.model_id, "rates": [[k.base, [list(t) for t in k.tiers]] for k in kinds]}


def _decode(value: Any) -> ModelRates | str | None:
    """A table entry back as rates or a reason; None for anything malformed (then the library is asked)."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("why"), str):
        return str(value["why"])
    try:
        kinds = [
            KindRate(float(base), tuple((int(start), float(rate)) for start, rate in tiers))
            for base, tiers in value["rates"]
        ]
        model_id = value["id"]
        if len(kinds) != 4 or not isinstance(model_id, str):
            return None
        inp, cache_read, cache_write, out = kinds
        return ModelRates(model_id, inp, cache_read, cache_write, out)
    except (KeyError, TypeError, ValueError):
        return None


class Pricer:
    """Prices tokens of the models a session used; remembers which models could not be priced and why."""

    def __init__(self, config: AnalysisConfig, when: datetime, agent: str = "") -> None:
        self._config = config
        self._day = when.date()
        self._cache: dict[str, ModelRates | None] = {}
        self.unpriced: dict[str, str] = {}
        #: Models priced at $0 because a setting says so, and which setting.
        self.free: dict[str, str] = {}
        free_agents = {a.strip().lower() for a in config.free_agents}
        self._free_agent = agent if agent.strip().lower() in free_agents else None

    def rates(self, model: str) -> ModelRates | None:
        """Rates of ``model`` (aliases and free models applied), or None if it has no known price."""
        cached = self._cache.get(model, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        found = self._resolve(model)
        self._cache[model] = found
        return found

    def _resolve(self, model: str) -> ModelRates | None:
        name = model.strip().lower()
        if self._free_agent is not None:
            self.free[model] = f"agent {self._free_agent} is configured free"
            return FREE
        for free in self._config.free_models:
            free = free.strip().lower()
            if name == free or name.startswith((f"{free}-", f"{free}:", f"{free}/")):
                self.free[model] = f"model {model} is configured free"
                return FREE
        if not name or name == "unknown":
            self.unpriced[model] = "no model was recorded for this session"
            return None
        ref = self._config.model_aliases.get(name, name)
        result = cached_rates(ref, self._day)
        if isinstance(result, str):
            self.unpriced[model] = result
            return None
        return result

    def status(self) -> str:
        """``unpriced`` if any model had no price, else ``free`` if every priced model was free, else ``priced``."""
        if self.unpriced:
            return "unpriced"
        if self._free_agent is not None:
            return "free"
        if self.free and all(r is FREE for r in self._cache.values() if r is not None):
            return "free"
        return "priced"

    def cost(self, model: str, usage: TokenUsage) -> float | None:
        """USD of one request's usage, or None if the model is unpriced."""
        rates = self.rates(model)
        return None if rates is None else rates.cost(usage)
