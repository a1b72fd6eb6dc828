"""``with optimizer.session(...)``: a session scoped to a block (sync or async), current for everything inside."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from .._internal.safety import Guard
from ..errors import InvalidStatus, SessionNotActive
from ..models import EventType, Session, SessionEvent, SessionStatus
from .context import reset_current, set_current
from .state import SessionState

if TYPE_CHECKING:
    from .recorder import Recorder

__all__ = ["SessionScope"]

_DETACH = Guard("scope.detach")
_END = Guard("scope.end")


def _final_status(exc: BaseException | None) -> SessionStatus:
    """How a ``with`` block's ending maps to a status: clean or ``sys.exit(0)`` COMPLETED, interrupted ABANDONED."""
    if exc is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
        return SessionStatus.COMPLETED
    if isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "CancelledError":
        return SessionStatus.ABANDONED
    return SessionStatus.FAILED


class SessionScope:
    """A session bound to a ``with`` block: started on entry, ended when the block is left.

    A clean exit (or ``sys.exit(0)``) ends it COMPLETED, KeyboardInterrupt or task cancellation ABANDONED, any
    other exception FAILED; the exception itself always propagates unchanged.

    Inside the block the session is current: decorated tools, ``log`` calls and instrumented LLM clients
    (also in asyncio tasks and in threads started with :func:`propagate`) are recorded into it.
    """

    def __init__(
        self,
        recorder: Recorder,
        agent: str,
        task: str,
        model: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._recorder = recorder
        self._args = (agent, task, model, session_id, metadata)
        self._state: SessionState | None = None
        self._session: Session | None = None
        self._tokens: tuple[object, contextvars.Token[SessionState | None]] | None = None

    # --- identity ------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The session id."""
        return self._started().id

    @property
    def agent(self) -> str:
        """The agent name."""
        return self._started().agent

    @property
    def task(self) -> str:
        """The task description."""
        return self._started().task

    @property
    def model(self) -> str:
        """The model recorded for the session."""
        return self._started().model

    @property
    def session(self) -> Session:
        """The session as stored right now (totals include every event logged so far)."""
        state = self._started()
        self._recorder.writer.flush(timeout=10)
        return self._recorder.store.get_session(state.id)

    def _started(self) -> SessionState:
        if self._state is None:
            raise SessionNotActive("the session starts when its `with` block is entered")
        return self._state

    # --- recording -----------------------------------------------------------------------------------
    def log(
        self,
        event_type: EventType | str,
        data: Mapping[str, Any] | None = None,
        tokens_input: int = 0,
        tokens_output: int = 0,
        *,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
        timestamp: datetime | None = None,
        duration_ms: float | None = None,
    ) -> SessionEvent:
        """Record one event in this session (same arguments as :meth:`SessionOptimizer.log_event`)."""
        return self._recorder.log(
            self._recorder.live(self._started().id),
            event_type,
            data,
            tokens_input,
            tokens_output,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            reasoning_tokens=reasoning_tokens,
            timestamp=timestamp,
            duration_ms=duration_ms,
        )

    def end(self, status: SessionStatus | str = SessionStatus.COMPLETED) -> Session:
        """End the session early with ``status``; leaving the block then changes nothing."""
        final = SessionStatus.parse(status)
        if final is SessionStatus.ACTIVE:
            raise InvalidStatus("a session cannot be ended with status ACTIVE")
        return self._recorder.end_and_read(self._started().id, final)

    # --- context manager -----------------------------------------------------------------------------
    def __enter__(self) -> SessionScope:
        agent, task, model, session_id, metadata = self._args
        self._session, self._state = self._recorder.start(agent, task, model, session_id, metadata)
        root = self._state.parent_context
        token = otel_context.attach(trace.set_span_in_context(trace.get_current_span(root)))
        self._tokens = (token, set_current(self._state))
        return self

    def _leave(self, exc: BaseException | None) -> bool:
        """Restore the context; end the session if still active; True when a flush is owed."""
        if self._tokens is not None:
            otel_token, scope_token = self._tokens
            self._tokens = None
            reset_current(scope_token)
            with _DETACH:
                otel_context.detach(otel_token)  # type: ignore[arg-type]
        state = self._state
        if state is None or state.ended or state.pid != os.getpid():  # a forked child leaves it to the parent
            return False
        status = _final_status(exc)
        with _END:
            state.recorder.end(state.id, status)
            return True
        return False

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._leave(exc):
            self._recorder.flush_after_end()

    async def __aenter__(self) -> SessionScope:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._leave(exc):
            import asyncio  # imported here: most agents never use the async form, and asyncio is slow to import

            await asyncio.to_thread(self._recorder.flush_after_end)

    def __repr__(self) -> str:
        state = self._state
        return f"<SessionScope {state.id if state else 'not started'}>"
