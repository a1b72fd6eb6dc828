"""Fake SynapseLink: ``quick_send`` records each message (and when it was sent)."""

from __future__ import annotations

from typing import Any

from _record import record

SENT: list[dict[str, Any]] = []


def quick_send(to: str, subject: str, body: str, priority: str = "NORMAL") -> bool:
    """Send a message to comma-separated recipients."""
    SENT.append(record("synapselink", "quick_send", to=to, subject=subject, body=body, priority=priority))
    return True
