"""Classify a failed tool call: agent mistake, failing test, user rejection, permission denial or timeout.

Only agent errors, test failures and timeouts count against the agent; rejections and denials are the user's
or the configuration's doing (a session with 67% "errors" that were all denials is a configuration problem).
"""

from __future__ import annotations

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


def classify_error(
    message: object = None, *, error_kind: object = None, error_type: object = None, tool: object = None
) -> ErrorKind:
    """The :class:`ErrorKind` of a failure: an explicit ``error_kind`` wins, else the message and tool decide."""
    for explicit in (error_kind, error_type):
        if isinstance(explicit, str):
            try:
                return ErrorKind(explicit.strip().lower())
            except ValueError:
                pass
    text = " ".join(v for v in (message, error_type) if isinstance(v, str)).lower()
    if any(s in text for s in _REJECTION):
        return ErrorKind.USER_REJECTION
    if any(s in text for s in _PERMISSION):
        return ErrorKind.PERMISSION_DENIED
    if any(s in text for s in _TIMEOUT):
        return ErrorKind.TIMEOUT
    tool_text = tool.lower() if isinstance(tool, str) else ""
    if any(s in text for s in _TEST) or "test" in tool_text:
        return ErrorKind.TEST_FAILURE
    return ErrorKind.AGENT_ERROR
