"""The SessionOptimizer exception hierarchy.

Every error the public API raises derives from :class:`SessionOptimizerError` and, where one fits, from the
matching builtin, so ``except LookupError`` keeps working for callers that do not know this package::

    SessionOptimizerError
    ├── ConfigurationError (ValueError)
    ├── InvalidInputError (ValueError)
    │   ├── InvalidSessionId
    │   ├── InvalidEventType
    │   ├── InvalidTokenCount
    │   ├── InvalidEventData (also TypeError)
    │   │   └── EventTooLarge
    │   ├── InvalidStatus
    │   └── InvalidFormat
    ├── SessionNotFound (LookupError)
    ├── SessionAlreadyExists
    ├── SessionNotActive
    ├── StoreError (OSError)
    ├── ImportSourceError (OSError)
    └── AdapterUnavailable (ImportError)
"""

from __future__ import annotations

__all__ = [
    "AdapterUnavailable",
    "ConfigurationError",
    "EventTooLarge",
    "ImportSourceError",
    "InvalidEventData",
    "InvalidEventType",
    "InvalidFormat",
    "InvalidInputError",
    "InvalidSessionId",
    "InvalidStatus",
    "InvalidTokenCount",
    "SessionAlreadyExists",
    "SessionNotActive",
    "SessionNotFound",
    "SessionOptimizerError",
    "StoreError",
    "UnstorableValue",
]


class SessionOptimizerError(Exception):
    """Root of every exception raised by SessionOptimizer."""


class ConfigurationError(SessionOptimizerError, ValueError):
    """A setting (argument or ``SESSIONOPTIMIZER_*`` variable) is invalid."""


class InvalidInputError(SessionOptimizerError, ValueError):
    """An argument to the public API is invalid; nothing was changed."""


class InvalidSessionId(InvalidInputError):
    """A session id is empty, too long, or contains characters unsafe in a file name."""


class InvalidEventType(InvalidInputError):
    """An event type is not one of :class:`~sessionoptimizer_sdk.EventType`."""


class InvalidTokenCount(InvalidInputError):
    """A token count is negative, not an integer, or too large."""


class InvalidEventData(InvalidInputError, TypeError):
    """Event ``data`` is not a JSON-serialisable mapping with string keys."""


class EventTooLarge(InvalidEventData):
    """An event's data (or a session's metadata) is larger than the per-event limit once serialised."""


class InvalidStatus(InvalidInputError):
    """A session status is unknown or not allowed here (e.g. ending a session as ACTIVE)."""


class InvalidFormat(InvalidInputError):
    """An export or output format is unknown; the message names the valid ones."""


class SessionNotFound(SessionOptimizerError, LookupError):
    """No session with this id exists in the store."""


class SessionAlreadyExists(SessionOptimizerError, ValueError):
    """A session with this id already exists."""


class SessionNotActive(SessionOptimizerError, RuntimeError):
    """The session has ended; events can no longer be logged to it."""


class StoreError(SessionOptimizerError, OSError):
    """The embedded store cannot be opened or written (permissions, disk full, read-only)."""


class UnstorableValue(StoreError, ValueError):
    """The store refused a value itself (a constraint, a NUL character in PostgreSQL text): retrying cannot help."""


class ImportSourceError(SessionOptimizerError, OSError):
    """A transcript path cannot be read or holds nothing importable."""


class AdapterUnavailable(SessionOptimizerError, ImportError):
    """A Team Brain tool given to an adapter lacks a function the adapter needs."""
