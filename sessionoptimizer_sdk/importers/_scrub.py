"""Credential-shaped strings removed from captured transcript text before it is stored (``--capture-content``).

A key typed into a prompt would otherwise become the session's task and reach reports, exports and listings.
The patterns are the usual shapes of provider keys and of secrets assigned to a named variable; a match is
replaced by :data:`REDACTED` (names and separators are kept, so the text still reads).
"""

from __future__ import annotations

from collections.abc import Mapping

from .._internal.secrets import redact_secrets

__all__ = ["REDACTED", "scrub", "scrub_value"]

REDACTED = "[REDACTED]"


def scrub(text: str) -> str:
    """``text`` with API keys, tokens, private keys and assigned passwords replaced by ``[REDACTED]``.

    The shared patterns of ``_internal.secrets``, without its rule for long letter-and-digit runs: captured
    content is full of hashes and ids that are not secrets.
    """
    return redact_secrets(text, blobs=False, mark=REDACTED)


def scrub_value(value: object) -> object:
    """A JSON-like value (tool arguments) with every string in it scrubbed; keys and structure kept."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value
