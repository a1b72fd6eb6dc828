"""Credential-shaped strings removed from captured transcript text before it is stored (``--capture-content``).

A key typed into a prompt would otherwise become the session's task and reach reports, exports and listings.
The patterns are the usual shapes of provider keys and of secrets assigned to a named variable; a match is
replaced by :data:`REDACTED` (names and separators are kept, so the text still reads).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["REDACTED", "scrub", "scrub_value"]

REDACTED = "[REDACTED]"

#: One pass over the text; ``keep`` groups hold the part of a match that is not secret (a name, a scheme).
_SECRET = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    r"|\bsk-[A-Za-z0-9_-]{16,}"  # Anthropic sk-ant-..., OpenAI sk-... / sk-proj-...
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"  # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|\bAIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JSON web tokens
    r"|(?P<keep_auth>\b(?:[Bb]earer|[Bb]asic|BEARER|BASIC)\s+)[A-Za-z0-9._~+/=-]{8,}"
    r"|(?P<keep_url>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"  # user:password@ in a URL
    r"|(?P<keep_name>(?i:\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|credentials?)[\w.-]*)[\"']?\s*[=:]\s*[\"']?)[^\s\"'&;,]{4,}"  # NAME=value, name: value
)


def _replace(match: re.Match[str]) -> str:
    keep = match.group("keep_auth") or match.group("keep_name") or ""
    if match.group("keep_url"):
        return f"{match.group('keep_url')}{REDACTED}@"
    return keep + REDACTED


def scrub(text: str) -> str:
    """``text`` with API keys, tokens, private keys and assigned passwords replaced by ``[REDACTED]``."""
    return _SECRET.sub(_replace, text)


def scrub_value(value: object) -> object:
    """A JSON-like value (tool arguments) with every string in it scrubbed; keys and structure kept."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(v) for v in value]
    return value
