"""ErrorRecovery adapter: ``with_recovery`` whose failed attempts become ERROR events, so retry loops show.

ErrorRecovery retries inside its decorator, out of the agent's sight. The adapter puts an observer *inside* the
tool's decorator (between the retries and the agent's function), notes each failed attempt, and when the call
settles logs one ERROR per failed attempt with ``recovery_strategy``, ``attempt`` and ``recovered`` (true when a
later attempt, or the strategy's fallback, succeeded). Events keep the time the attempt failed.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from ..models import EventType, SessionEvent
from ._base import current_session_id, log_to_session, require, tool_failed

if TYPE_CHECKING:
    from ._base import Optimizer

__all__ = ["ErrorRecoveryAdapter"]

F = TypeVar("F", bound=Callable[..., Any])
_attempts: contextvars.ContextVar[list[_Attempt] | None] = contextvars.ContextVar(
    "sessionoptimizer_recovery_attempts", default=None
)


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One failed attempt: when, and what it raised."""

    at: datetime
    error: BaseException


def _note(exc: BaseException) -> None:
    attempts = _attempts.get()
    if attempts is not None:
        attempts.append(_Attempt(datetime.now(UTC), exc))


def _observed(fn: F) -> F:
    """``fn`` that notes every exception it raises in the current call's attempt list (and re-raises it)."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def observe_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                _note(exc)
                raise

        return cast(F, observe_async)

    @functools.wraps(fn)
    def observe(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            _note(exc)
            raise

    return cast(F, observe)


class ErrorRecoveryAdapter:
    """Drop-in ``with_recovery`` that records every failed attempt in the session.

    Args:
        optimizer: the optimizer whose sessions receive the ERROR events.
        source: the ``errorrecovery`` module or its ``with_recovery`` decorator factory (default: import it).
        session_id: always log into this session (default: the session the calling code runs in).
    """

    name: ClassVar[str] = "errorrecovery"
    module: ClassVar[str] = "errorrecovery"

    def __init__(self, optimizer: Optimizer, source: Any = None, *, session_id: str | None = None) -> None:
        self._with_recovery = require(source, ("with_recovery",), "ErrorRecovery", module=self.module)[
            "with_recovery"
        ]
        self._optimizer = optimizer
        self._session_id = session_id
        self.failures = 0

    def with_recovery(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """Same arguments as ErrorRecovery's ``with_recovery`` (e.g. ``strategy="retry", max_attempts=3``)."""
        strategy = kwargs.get("strategy", args[0] if args and isinstance(args[0], str) else None)

        def decorate(fn: F) -> F:
            inner = _observed(fn)
            try:
                recovering: Callable[..., Any] = self._with_recovery(*args, **kwargs)(inner)
            except Exception as exc:  # the tool's fault: keep the agent's function, without recovery
                self.failures += 1
                tool_failed("ErrorRecovery", "with_recovery", exc)
                recovering = inner
            return self._settling(fn, recovering, strategy)

        return decorate

    def _settling(self, fn: F, recovering: Callable[..., Any], strategy: str | None) -> F:
        """The outer wrapper: one attempt list per call, logged when the call returns or finally raises."""
        name = getattr(fn, "__qualname__", repr(fn))
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def settle_async(*args: Any, **kwargs: Any) -> Any:
                attempts: list[_Attempt] = []
                token = _attempts.set(attempts)
                try:
                    result = await recovering(*args, **kwargs)
                except BaseException:
                    self._log(attempts, name, strategy, recovered=False)
                    raise
                finally:
                    _attempts.reset(token)
                self._log(attempts, name, strategy, recovered=True)
                return result

            return cast(F, settle_async)

        @functools.wraps(fn)
        def settle(*args: Any, **kwargs: Any) -> Any:
            attempts: list[_Attempt] = []
            token = _attempts.set(attempts)
            try:
                result = recovering(*args, **kwargs)
            except BaseException:
                self._log(attempts, name, strategy, recovered=False)
                raise
            finally:
                _attempts.reset(token)
            self._log(attempts, name, strategy, recovered=True)
            return result

        return cast(F, settle)

    def _log(
        self, attempts: list[_Attempt], tool: str, strategy: str | None, *, recovered: bool
    ) -> list[SessionEvent]:
        """One ERROR event per failed attempt, in order, at the time each attempt failed."""
        if not attempts:
            return []
        sid = current_session_id(self._optimizer, self._session_id)
        logged: list[SessionEvent] = []
        for number, attempt in enumerate(attempts, start=1):
            data: dict[str, Any] = {
                "message": str(attempt.error) or type(attempt.error).__name__,
                "error_type": type(attempt.error).__name__,
                "tool": tool,
                "recoverable": True,
                "attempt": number,
                "recovered": recovered,
            }
            if strategy is not None:
                data["recovery_strategy"] = strategy
            event = log_to_session(
                self._optimizer, "ErrorRecovery", sid, EventType.ERROR, data, timestamp=attempt.at
            )
            if event is not None:
                logged.append(event)
        return logged
