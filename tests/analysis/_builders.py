"""Test helpers: build sessions and event lists tersely (deterministic ids and clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)


def session(
    model: str = "sonnet",
    status: SessionStatus = SessionStatus.COMPLETED,
    minutes: float = 30,
    sid: str = "s1",
    agent: str = "ATLAS",
) -> Session:
    """A session started at T0, ended ``minutes`` later unless ACTIVE."""
    end = None if status is SessionStatus.ACTIVE else T0 + timedelta(minutes=minutes)
    return Session(sid, agent, "Build thing", model, status, T0, end)


class Events:
    """Appends events ``step`` seconds apart with ids e0, e1, ..."""

    def __init__(self, step: float = 10.0, sid: str = "s1") -> None:
        self.items: list[SessionEvent] = []
        self.t = T0
        self.step = step
        self.sid = sid

    def add(self, kind: EventType, *, gap: float | None = None, **kw: Any) -> SessionEvent:
        """Append one event and return it."""
        self.t += timedelta(seconds=self.step if gap is None else gap)
        e = SessionEvent(
            id=f"e{len(self.items)}",
            session_id=self.sid,
            event_type=kind,
            timestamp=self.t,
            seq=len(self.items),
            **kw,
        )
        self.items.append(e)
        return e

    def call(self, *, inp: int = 10, cr: int = 0, cw: int = 0, out: int = 100, **kw: Any) -> SessionEvent:
        """A model call."""
        return self.add(
            EventType.AI_RESPONSE,
            tokens_input=inp,
            cache_read_tokens=cr,
            cache_write_tokens=cw,
            tokens_output=out,
            **kw,
        )

    def read(
        self, path: str, tokens: int, offset: int | None = None, limit: int | None = None, **extra: Any
    ) -> SessionEvent:
        """A file read that returned ``tokens`` tokens."""
        data: dict[str, Any] = {"file_path": path, "result_tokens": tokens, **extra}
        if offset is not None:
            data["offset"] = offset
        if limit is not None:
            data["limit"] = limit
        return self.add(EventType.FILE_READ, data=data)

    def write(self, path: str) -> SessionEvent:
        """A file write/edit."""
        return self.add(EventType.FILE_WRITE, data={"file_path": path, "tool": "Edit"})

    def tool(
        self,
        tool: str,
        args: str = "a",
        *,
        error: str | None = None,
        result: str = "r",
        tokens: int = 50,
        **kw: Any,
    ) -> SessionEvent:
        """A tool call, failed with message ``error`` when given."""
        data: dict[str, Any] = {
            "tool": tool,
            "args_sha256": args,
            "result_sha256": result,
            "result_tokens": tokens,
        }
        if error is not None:
            data["message"] = error
        return self.add(EventType.TOOL_CALL, data=data, is_error=error is not None, **kw)


def of_type(report: Any, kind: str) -> list[Any]:
    """The report's findings of one type."""
    return [f for f in report.issues if f.type == kind]
