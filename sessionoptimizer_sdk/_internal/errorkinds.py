"""The one classifier of failed tool calls, shared by the importers and the analysis of live events.

Only agent errors, failing tests and timeouts count against the agent. A user rejecting a call (with or
without typed feedback), a user interrupt, and a permission or sandbox denial are the user's or the
configuration's doing (a session with 67% "errors" that were all denials is a configuration problem).
"""

from __future__ import annotations

import re

from sessionoptimizer_sdk.models import ErrorKind

__all__ = ["COUNTED_KINDS", "classify_error", "is_test_command", "user_feedback"]

COUNTED_KINDS = frozenset({ErrorKind.AGENT_ERROR, ErrorKind.TEST_FAILURE, ErrorKind.TIMEOUT})

_REJECTION = (
    "doesn't want to proceed",  # Claude Code, with or without "the user said: <feedback>"
    "doesn't want to take this action",
    "tool use was rejected",
    "was rejected by the user",
    "user rejected",
    "rejected by user",
    "rejected by the user",
    "request interrupted by user",  # Claude Code: "[Request interrupted by user for tool use]"
    "interrupted by user",
    "user denied",
    "user declined",
    "the user said:",
    "aborted by user",
)
_PERMISSION = (
    "permission denied",
    "permission to use",
    "haven't granted",
    "has been denied",
    "not permitted",
    "requires approval",
    "needs approval",
    "not allowed",
    "was blocked",
    "blocked by sandbox",
    "sandbox denied",
    "denied by sandbox",
    "blocked by policy",
    "eacces",
    "access denied",
)
_TIMEOUT = ("timed out", "deadline exceeded", "timeouterror", "timeout expired")
_TEST_TEXT = ("test failed", "tests failed", "failed test", "assertionerror", "test failure")
_TEST_COMMAND = re.compile(
    r"(?:^|[\s;&|/(])(?:pytest|py\.test|tox|nox|jest|vitest|mocha|rspec|phpunit|ctest"
    r"|go\s+test|cargo\s+test|npm\s+(?:run\s+)?test|yarn\s+test|pnpm\s+test|make\s+(?:test|check)"
    r"|python3?\s+-m\s+(?:pytest|unittest)|mvn\s+test|gradle\w*\s+test|dotnet\s+test)\b"
)
_TEST_OUTPUT = re.compile(
    r"(?:\b\d+ failed\b|^FAILED |^FAIL\b|Tests?:\s+\d+ failed|test result: FAILED)", re.M
)
_BY_VALUE = {k.value: k for k in ErrorKind}
#: Phrases per kind, in order. Plain substring tests: a regex alternation of the same words found the same
#: thing ~10x slower (it tries every word at every position of a 2,000-character head).
_PHRASES = (
    (_REJECTION, ErrorKind.USER_REJECTION),
    (_PERMISSION, ErrorKind.PERMISSION_DENIED),
    (_TIMEOUT, ErrorKind.TIMEOUT),
    (_TEST_TEXT, ErrorKind.TEST_FAILURE),
)


def is_test_command(command: str | None) -> bool:
    """True when a shell command runs a test suite (pytest, npm test, go test, cargo test, ...)."""
    return bool(command) and _TEST_COMMAND.search(command or "") is not None


def _test_output(text: str) -> bool:
    """True when ``text`` reads like a failing test run (every such line says ``failed`` or ``FAIL``)."""
    return ("failed" in text or "FAIL" in text) and _TEST_OUTPUT.search(text) is not None


def user_feedback(text: str) -> bool:
    """True when a user rejection carries feedback the user typed (Claude Code: ``the user said:``)."""
    return "the user said:" in text.lower()


def classify_error(
    message: object = None,
    *,
    error_kind: object = None,
    error_type: object = None,
    tool: object = None,
    command: str | None = None,
) -> ErrorKind:
    """The kind of a failure: an explicit ``error_kind`` wins, else the message, shell command and tool decide."""
    for explicit in (error_kind, error_type):
        if isinstance(explicit, str):
            found = _BY_VALUE.get(explicit.strip().lower())
            if found is not None:
                return found
    text = " ".join(v for v in (message, error_type) if isinstance(v, str))
    head = text[:2000].lower()
    for words, kind in _PHRASES:
        if any(word in head for word in words):
            return kind
    if is_test_command(command) or _test_output(text[:20000]):
        return ErrorKind.TEST_FAILURE
    if isinstance(tool, str) and ("test" in tool.lower() or is_test_command(tool)):
        return ErrorKind.TEST_FAILURE
    return ErrorKind.AGENT_ERROR
