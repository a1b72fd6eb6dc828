"""The one exception the ingest raises for a request it refuses: an HTTP status, a code and a message."""

from __future__ import annotations

from ...errors import InvalidInputError

__all__ = ["IngestRefused"]


class IngestRefused(InvalidInputError):
    """A request the ingest refuses: answered with ``status`` and a JSON body ``{"error", "detail"}``."""

    def __init__(self, status: int, code: str, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
