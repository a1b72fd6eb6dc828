"""Classify a failed tool call's output into an :class:`~sessionoptimizer_sdk.models.ErrorKind`.

Only agent errors, failing tests and timeouts count against the agent; users rejecting a call and permission
denials are configuration or collaboration signals, so they must not be mixed in (see ``domain.md``).
"""

from __future__ import annotations

import re

from sessionoptimizer_sdk.models import ErrorKind

__all__ = ["classify_error", "is_test_command", "user_feedback"]

_REJECTION = (
    "the user doesn't want to proceed with this tool use",
    "the user doesn't want to take this action",
    "user rejected",
    "rejected by user",
    "was rejected by the user",
    "user denied",
    "request interrupted by user",
)
_PERMISSION = (
    "permission denied",
    "permission to use",
    "haven't granted it yet",
    "has been denied",
    "not permitted",
    "operation not permitted",
    "requires approval",
    "blocked by sandbox",
    "sandbox denied",
    "denied by sandbox",
    "eacces",
)
_TIMEOUT = ("timed out", "deadline exceeded", "timeouterror")
_TEST_COMMAND = re.compile(
    r"(?:^|[\s;&|/(])(?:pytest|py\.test|tox|nox|jest|vitest|mocha|rspec|phpunit|ctest"
    r"|go\s+test|cargo\s+test|npm\s+(?:run\s+)?test|yarn\s+test|pnpm\s+test|make\s+(?:test|check)"
    r"|python3?\s+-m\s+(?:pytest|unittest)|mvn\s+test|gradle\w*\s+test|dotnet\s+test)\b"
)
_TEST_OUTPUT = re.compile(
    r"(?:\b\d+ failed\b|^FAILED |^FAIL\b|Tests?:\s+\d+ failed|test result: FAILED)", re.M
)


def is_test_command(command: str | None) -> bool:
    """True when a shell command runs a test suite (pytest, npm test, go test, cargo test, ...)."""
    return bool(command) and _TEST_COMMAND.search(command or "") is not None


def user_feedback(text: str) -> bool:
    """True when a user rejection carries feedback the user typed (Claude Code: ``the user said:``)."""
    return "the user said:" in text.lower()


def classify_error(text: str, *, command: str | None = None) -> ErrorKind:
    """The kind of a failed tool call from its output text and, for shell tools, the command it ran."""
    head = text[:2000].lower()
    if any(marker in head for marker in _REJECTION):
        return ErrorKind.USER_REJECTION
    if any(marker in head for marker in _PERMISSION):
        return ErrorKind.PERMISSION_DENIED
    if any(marker in head for marker in _TIMEOUT):
        return ErrorKind.TIMEOUT
    if is_test_command(command) or _TEST_OUTPUT.search(text[:20000]):
        return ErrorKind.TEST_FAILURE
    return ErrorKind.AGENT_ERROR
