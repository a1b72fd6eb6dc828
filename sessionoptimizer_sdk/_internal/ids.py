"""Session ids: validation (they reach file names) and generation in the spec's ``forge_20260121_143000`` style."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from ..errors import InvalidSessionId

__all__ = ["MAX_SESSION_ID_LENGTH", "new_session_id", "validate_session_id"]

MAX_SESSION_ID_LENGTH = 128
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_AGENT_SLUG = re.compile(r"[^a-z0-9]+")


def validate_session_id(value: object) -> str:
    """Return ``value`` if it is a safe session id, else raise InvalidSessionId saying why."""
    if not isinstance(value, str):
        raise InvalidSessionId(f"session id must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidSessionId("session id must not be empty")
    if len(value) > MAX_SESSION_ID_LENGTH:
        raise InvalidSessionId(
            f"session id is {len(value)} characters; the maximum is {MAX_SESSION_ID_LENGTH}"
        )
    if not _VALID.fullmatch(value) or ".." in value:
        raise InvalidSessionId(
            f"session id {value!r} may only contain letters, digits, '.', '_', ':' and '-', "
            "must start with a letter or digit and must not contain '..'"
        )
    return value


def new_session_id(agent: str, now: datetime | None = None) -> str:
    """Return a fresh id like ``forge_20260121_143000_1f2e3d4c5b6a7980`` (agent slug, UTC time, random suffix)."""
    slug = _AGENT_SLUG.sub("-", agent.lower()).strip("-")[:40] or "session"
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d_%H%M%S")
    return f"{slug}_{stamp}_{os.urandom(8).hex()}"  # 64 random bits: no collisions in bursts
