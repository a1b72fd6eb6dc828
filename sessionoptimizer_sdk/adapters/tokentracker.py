"""TokenTracker adapter: sync TokenTracker's running usage into the session as TOKEN_USAGE deltas.

TokenTracker reports cumulative counters, so logging ``get_current_usage()`` after each operation (as the spec's
snippet does) counts every earlier token again. The adapter remembers the last reading and logs only the
increase, so a session's totals equal what TokenTracker saw while the session ran.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..models import EventType, SessionEvent
from ._base import current_session_id, log_to_session, require, tool_failed

if TYPE_CHECKING:
    from ._base import Optimizer

__all__ = ["TokenTrackerAdapter", "UsageReading"]

# Accepted spellings of each counter in a TokenTracker usage mapping (first present wins).
_KEYS: dict[str, tuple[str, ...]] = {
    "input": ("input_tokens", "prompt_tokens"),
    "output": ("output_tokens", "completion_tokens"),
    "cache_read": ("cache_read_tokens", "cache_read_input_tokens"),
    "cache_write": ("cache_write_tokens", "cache_creation_tokens", "cache_creation_input_tokens"),
}


@dataclass(frozen=True, slots=True)
class UsageReading:
    """One ``get_current_usage()`` result as cumulative counters (``input`` is uncached input)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    model: str | None = None

    @classmethod
    def parse(cls, usage: Any) -> UsageReading:
        """Read a usage mapping (or an object with the same attributes); raise ValueError if it is malformed."""

        def get(key: str) -> Any:
            return usage.get(key) if isinstance(usage, Mapping) else getattr(usage, key, None)

        counts: dict[str, int] = {}
        for field_name, keys in _KEYS.items():
            value = next((v for v in (get(k) for k in keys) if v is not None), 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"TokenTracker usage {keys[0]} must be a non-negative integer, got {value!r}"
                )
            counts[field_name] = value
        model = get("model")
        return cls(model=model if isinstance(model, str) and model else None, **counts)

    def minus(self, earlier: UsageReading | None) -> UsageReading:
        """The usage since ``earlier``; a counter that went down means TokenTracker was reset (count from 0)."""
        if earlier is None:
            return self
        pairs = (
            (self.input, earlier.input),
            (self.output, earlier.output),
            (self.cache_read, earlier.cache_read),
            (self.cache_write, earlier.cache_write),
        )
        if any(now < before for now, before in pairs):
            return self
        (d_in, d_out, d_read, d_write) = (now - before for now, before in pairs)
        return UsageReading(d_in, d_out, d_read, d_write, model=self.model)

    @property
    def empty(self) -> bool:
        """True when no counter moved."""
        return not (self.input or self.output or self.cache_read or self.cache_write)


class TokenTrackerAdapter:
    """Logs TokenTracker usage into the active session, only the difference since the last sync.

    Args:
        optimizer: the optimizer whose sessions receive the usage.
        source: TokenTracker's ``get_current_usage`` function or the ``tokentracker`` module (default: import it).
        session_id: always sync into this session (default: the session the calling code runs in).
        baseline: read TokenTracker once now, so usage from before the adapter existed is not attributed.
    """

    name: ClassVar[str] = "tokentracker"
    module: ClassVar[str] = "tokentracker"

    def __init__(
        self,
        optimizer: Optimizer,
        source: Any = None,
        *,
        session_id: str | None = None,
        baseline: bool = True,
    ) -> None:
        self._get_usage = require(source, ("get_current_usage",), "TokenTracker", module=self.module)[
            "get_current_usage"
        ]
        self._optimizer = optimizer
        self._session_id = session_id
        self._lock = threading.Lock()
        self._last: UsageReading | None = None
        self.failures = 0
        if baseline:
            self._last = self._read()

    def _read(self) -> UsageReading | None:
        try:
            return UsageReading.parse(self._get_usage())
        except Exception as exc:  # the tool's fault: logged, this sync is skipped
            self.failures += 1
            tool_failed("TokenTracker", "get_current_usage", exc)
            return None

    def sync(self, session_id: str | None = None) -> SessionEvent | None:
        """Read TokenTracker now and log what was used since the last sync; None when nothing was logged.

        Usage accrued while no session is active is skipped (not carried into the next session).
        """
        with self._lock:
            reading = self._read()
            if reading is None:
                return None
            delta = reading.minus(self._last)
            self._last = reading
        if delta.empty:
            return None
        sid = current_session_id(self._optimizer, session_id or self._session_id)
        data: dict[str, Any] = {"source": "TokenTracker"}
        if delta.model:
            data["model"] = delta.model
        return log_to_session(
            self._optimizer,
            "TokenTracker",
            sid,
            EventType.TOKEN_USAGE,
            data,
            delta.input,
            delta.output,
            cache_read_tokens=delta.cache_read,
            cache_write_tokens=delta.cache_write,
        )

    __call__ = sync
