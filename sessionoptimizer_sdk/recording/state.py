"""The in-process state of one session this process records (owned here, or attached from another process)."""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.context import Context

__all__ = ["SessionState"]


class SessionState:
    """Ids and OTel parent context of a session; ``root_span`` is set only in the process that started it."""

    __slots__ = (
        "agent",
        "ended",
        "id",
        "model",
        "parent_context",
        "pid",
        "recorder",
        "root_span",
        "started_ns",
        "task",
    )

    def __init__(
        self,
        session_id: str,
        agent: str,
        task: str,
        model: str,
        *,
        parent_context: Context,
        recorder: Any,
        started_ns: int,
        root_span: Any = None,
    ) -> None:
        self.id = session_id
        self.agent = agent
        self.task = task
        self.model = model
        self.parent_context = parent_context
        self.recorder = recorder
        self.started_ns = started_ns
        self.root_span = root_span
        self.ended = False
        self.pid = os.getpid()  # a forked child must not end its parent's sessions at its own exit
