"""What recording needs from a store: a protocol, so recording never depends on a store implementation."""

from __future__ import annotations

from typing import Protocol

from ..models import Session

__all__ = ["SessionRows"]


class SessionRows(Protocol):
    """Session rows the recorder reads and creates (the writer stores everything else)."""

    def find_session(self, session_id: str) -> Session | None:
        """The session, or None if there is none."""
        ...

    def get_session(self, session_id: str) -> Session:
        """The session, or SessionNotFound."""
        ...

    def create_session(self, session: Session, *, owner: tuple[int, str, str] | None = None) -> None:
        """Store a new ACTIVE session; SessionAlreadyExists if its id is taken."""
        ...
