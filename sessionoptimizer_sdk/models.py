"""Values that flow through the pipeline: sessions, events, token usage and their closed sets.

Token accounting follows one convention everywhere past the recording boundary (see ``docs/architecture.md``):
the five token kinds never overlap except that ``reasoning_tokens`` is the part of ``output_tokens`` that was
thinking. ``input_tokens`` is *uncached* prompt input (Anthropic's convention); OpenAI-style totals that include
cached input are normalised when they enter.

An event's token fields are tokens *billed* by that event. Content a tool returned into the context is not
billed by the tool event itself (it is billed by the next model call); its size goes in ``data["result_tokens"]``.

Well-known ``data`` keys, shared by the recorder, the importers and the analyzers:

- FILE_READ: ``file_path``, ``offset`` (first line, 1-based), ``limit`` (line count), ``compressed``,
  ``original_tokens``, ``compressed_tokens``, ``result_tokens``, ``content_sha256``, ``tool_call_id``.
- FILE_WRITE: ``file_path``, ``tool``, ``tool_call_id``.
- TOOL_CALL: ``tool``, ``args_sha256`` (normalised arguments), ``result_sha256``, ``result_tokens``,
  ``tool_call_id``.
- ERROR: ``message``, ``error_kind`` (an :class:`ErrorKind` value), ``tool``, ``tool_call_id`` (the failed
  call), ``recoverable``, ``recovery_strategy``, ``attempt``, ``recovered``.
- AI_RESPONSE / THINKING: ``model``, ``response_id``, ``request_id``, ``provider``, ``output_incomplete``,
  ``tokens_estimated``, ``redacted`` / ``encrypted`` (thinking content withheld by the provider).
- USER_MESSAGE: ``chars``, ``message_sha256``, ``user_feedback``, ``interrupted``.
- COMPACTION: ``trigger`` (manual/auto), ``pre_tokens`` (context size before compaction).
- Importers also set ``failed`` on a tool event whose result was an error (the failure itself is the linked
  ERROR event, so it counts once), ``edits`` (edit count of a MultiEdit) and ``estimated_tokens``. See
  ``docs/importing.md`` for each format's mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .errors import InvalidEventType, InvalidStatus

__all__ = [
    "ErrorKind",
    "EventType",
    "Session",
    "SessionEvent",
    "SessionStatus",
    "TokenUsage",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class EventType(StrEnum):
    """What happened in a session. ``.value`` is the upper-case name, e.g. ``"FILE_READ"``."""

    THINKING = "THINKING"
    AI_RESPONSE = "AI_RESPONSE"
    FILE_READ = "FILE_READ"
    FILE_WRITE = "FILE_WRITE"
    TOOL_CALL = "TOOL_CALL"
    ERROR = "ERROR"
    TOKEN_USAGE = "TOKEN_USAGE"
    USER_MESSAGE = "USER_MESSAGE"
    COMPACTION = "COMPACTION"

    @classmethod
    def parse(cls, value: EventType | str) -> EventType:
        """Return the member for ``value`` (member, name or value, any case) or raise InvalidEventType."""
        if isinstance(value, EventType):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.strip().upper())
            if member is not None:
                return member
        valid = ", ".join(m.value for m in cls)
        raise InvalidEventType(f"unknown event type {value!r}; valid event types: {valid}")


class SessionStatus(StrEnum):
    """Lifecycle state of a session. ABANDONED marks a session whose process died before ending it."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    ABANDONED = "ABANDONED"

    @classmethod
    def parse(cls, value: SessionStatus | str) -> SessionStatus:
        """Return the member for ``value`` (any case) or raise InvalidStatus naming the valid ones."""
        if isinstance(value, SessionStatus):
            return value
        if isinstance(value, str):
            member = cls.__members__.get(value.strip().upper())
            if member is not None:
                return member
        valid = ", ".join(m.value for m in cls)
        raise InvalidStatus(f"unknown session status {value!r}; valid statuses: {valid}")


class ErrorKind(StrEnum):
    """Why a tool call failed; only AGENT_ERROR, TEST_FAILURE and TIMEOUT count against the agent."""

    AGENT_ERROR = "agent_error"
    TEST_FAILURE = "test_failure"
    USER_REJECTION = "user_rejection"
    PERMISSION_DENIED = "permission_denied"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Non-overlapping token kinds (``reasoning_tokens`` is the thinking part of ``output_tokens``)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def fresh_tokens(self) -> int:
        """Tokens processed anew: uncached input + cache writes + output (cache reads excluded)."""
        return self.input_tokens + self.cache_write_tokens + self.output_tokens

    @property
    def total_tokens(self) -> int:
        """All tokens of every kind (reasoning is already inside output)."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(frozen=True, slots=True)
class Session:
    """A recorded agent session as stored: identity, task, lifecycle and token totals."""

    id: str
    agent: str
    task: str
    model: str
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None = None
    metadata: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    tokens: TokenUsage = field(default_factory=TokenUsage)
    event_count: int = 0
    last_event_at: datetime | None = None
    trace_id: str | None = None
    span_id: str | None = None

    @property
    def is_active(self) -> bool:
        """True while the session has not ended."""
        return self.status is SessionStatus.ACTIVE

    @property
    def duration_seconds(self) -> float:
        """Wall-clock seconds from start to end (or to now while active)."""
        end = self.ended_at or datetime.now(UTC)
        return max(0.0, (end - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One thing that happened in a session, with the tokens it billed (see the module docstring)."""

    id: str
    session_id: str
    event_type: EventType
    timestamp: datetime
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    tokens_input: int = 0
    tokens_output: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    duration_ms: float | None = None
    name: str | None = None
    is_error: bool = False
    error_type: str | None = None
    seq: int = 0

    @property
    def usage(self) -> TokenUsage:
        """This event's tokens as a :class:`TokenUsage`."""
        return TokenUsage(
            self.tokens_input,
            self.tokens_output,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
        )

    @property
    def fresh_tokens(self) -> int:
        """Uncached input + cache writes + output billed by this event."""
        return self.tokens_input + self.cache_write_tokens + self.tokens_output
