"""Recording: sessions, events and tool calls become OpenTelemetry spans."""

from __future__ import annotations

from .context import ContextThreadPoolExecutor, propagate
from .scope import SessionScope

__all__ = ["ContextThreadPoolExecutor", "SessionScope", "propagate"]
