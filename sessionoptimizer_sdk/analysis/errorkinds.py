"""Classify a failed tool call: agent mistake, failing test, user rejection, permission denial or timeout.

Only agent errors, test failures and timeouts count against the agent; rejections and denials are the user's
or the configuration's doing (a session with 67% "errors" that were all denials is a configuration problem).
"""

from __future__ import annotations

import re

from sessionoptimizer_sdk.models import ErrorKind

__all__ = ["COUNTED_KINDS", "classify_error"]

COUNTED_KINDS = frozenset({ErrorKind.AGENT_ERROR, ErrorKind.TEST_FAILURE, ErrorKind.TIMEOUT})

_REJECTION = (
    "doesn't want to proceed",
    "doesn't want to take this action",
    "tool use was rejected",
    "user rejected",
    "rejected by user",
    "request interrupted by user",
    "interrupted by user",
    "user denied",
    "user declined",
)
_PERMISSION = (
    "permission denied",
    "permission to use",
    "not permitted",
    "requires approval",
    "needs approval",
    "not allowed",
    "was blocked",
    "eacces",
    "access denied",
    "haven't granted",
)
_TIMEOUT = ("timed out", "timeout", "deadline exceeded")
_TEST = (
    "test failed",
    "tests failed",
    "failed test",
    "assertionerror",
    " failed, ",
    "pytest",
    "test failure",
)
_BY_VALUE = {k.value: k for k in ErrorKind}
_PATTERNS = tuple(
    (re.compile("|".join(re.escape(w) for w in words)), kind)
    for words, kind in (
        (_REJECTION, ErrorKind.USER_REJECTION),
        (_PERMISSION, ErrorKind.PERMISSION_DENIED),
        (_TIMEOUT, ErrorKind.TIMEOUT),
        (_TEST, ErrorKind.TEST_FAILURE),
    )
)


def classify_error(
    message: object = None, *, error_kind: object = None, error_type: object = None, tool: object = None
) -> ErrorKind:
    """The :class:`ErrorKind` of a failure: an explicit ``error_kind`` wins, else the message and tool decide."""
    for explicit in (error_kind, error_type):
        if isinstance(explicit, str):
            found = _BY_VALUE.get(explicit.strip().lower())
            if found is not None:
                return found
    text = " ".join(v for v in (message, error_type) if isinstance(v, str)).lower()
    for pattern, kind in _PATTERNS:
        if pattern.search(text):
            return kind
    if isinstance(tool, str) and "test" in tool.lower():
        return ErrorKind.TEST_FAILURE
    return ErrorKind.AGENT_ERROR
