"""The Alert value: one rule firing for one session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

__all__ = ["Alert"]


@dataclass(frozen=True, slots=True)
class Alert:
    """A rule that fired (or was resolved) for a session: priority (HIGH/MEDIUM/LOW), message, numbers behind it."""

    session_id: str
    agent: str
    rule: str
    priority: str
    message: str
    created_at: datetime
    payload: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: "firing", or "resolved": a rule that fired on a provisional report no longer holds on the final one.
    status: str = "firing"

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON (what the webhook notifier posts)."""
        return {
            "session_id": self.session_id,
            "agent": self.agent,
            "rule": self.rule,
            "priority": self.priority,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "payload": dict(self.payload),
            "status": self.status,
        }
