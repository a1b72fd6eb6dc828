"""The import's faster checks answer exactly as the regular expressions they replaced (issue 16, import speed)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk._internal.errorkinds import classify_error
from sessionoptimizer_sdk.models import ErrorKind

# The former regular expressions, copied here as the independent reference.
_OLD_WRITER = re.compile(
    r"(?:^|[\s;&|])(?:autopep8|black|clang\-format|cp|git|gofmt|isort|mv|patch|prettier|rm|ruff|rustfmt|sed"
    r"|touch|truncate|yapf)(?:$|[\s;&|])"
)
_OLD_PHRASES = (
    (
        re.compile(
            "doesn't want to proceed|doesn't want to take this action|tool use was rejected|was rejected by the "
            "user|user rejected|rejected by user|rejected by the user|request interrupted by user|interrupted "
            "by user|user denied|user declined|the user said:|aborted by user"
        ),
        ErrorKind.USER_REJECTION,
    ),
    (
        re.compile(
            "permission denied|permission to use|haven't granted|has been denied|not permitted|requires "
            "approval|needs approval|not allowed|was blocked|blocked by sandbox|sandbox denied|denied by "
            "sandbox|blocked by policy|eacces|access denied"
        ),
        ErrorKind.PERMISSION_DENIED,
    ),
    (re.compile("timed out|deadline exceeded|timeouterror|timeout expired"), ErrorKind.TIMEOUT),
    (
        re.compile("test failed|tests failed|failed test|assertionerror|test failure"),
        ErrorKind.TEST_FAILURE,
    ),
)
_OLD_TEST_OUTPUT = re.compile(
    r"(?:\b\d+ failed\b|^FAILED |^FAIL\b|Tests?:\s+\d+ failed|test result: FAILED)", re.M
)


def _old_kind(text: str) -> ErrorKind:
    """What classify_error answered for a plain message before (no command, tool or explicit kind)."""
    head = text[:2000].lower()
    for pattern, kind in _OLD_PHRASES:
        if pattern.search(head):
            return kind
    return ErrorKind.TEST_FAILURE if _OLD_TEST_OUTPUT.search(text[:20000]) else ErrorKind.AGENT_ERROR


_SHELL_BITS = [
    "sed",
    "-i",
    "git",
    "stash",
    "rm",
    "clang-format",
    "black",
    "x",
    "a.py",
    "'",
    '"',
    "\\",
    ";",
    "&",
]
_SHELL_BITS += [
    "|",
    " ",
    "\t",
    "\n",
    "\u00a0",
    "\u2003",
    "\x1c",
    "ls",
    "cat",
    "mv",
    "gitx",
    "xrm",
    "ruff",
    "yapf",
]
_MESSAGE_BITS = ["Permission denied", "timed out", "3 failed", "FAILED ", "FAIL", "FAILURE", "\n", " ", "x"]
_MESSAGE_BITS += ["Tests: 2 failed", "test result: FAILED", "The user said: no", "AssertionError", "2failed"]
_MESSAGE_BITS += ["failed", "ok", "EACCES"]
_shell_bits = st.sampled_from(_SHELL_BITS)
_message_bits = st.sampled_from(_MESSAGE_BITS)


@settings(max_examples=800, deadline=None)
@given(st.lists(_shell_bits, max_size=12))
def test_writer_word_check_matches_the_former_regex(bits: list[str]) -> None:
    """A command counts as possibly writing exactly when the former word-boundary regex matched it."""
    from sessionoptimizer_sdk.importers._codex_tools import _UNQUOTE, _WRITER

    unquoted = "".join(bits).translate(_UNQUOTE)
    assert (_WRITER.search(unquoted) is not None) == (_OLD_WRITER.search(unquoted) is not None)


@settings(max_examples=800, deadline=None)
@given(st.lists(_message_bits, max_size=10))
def test_error_kind_of_a_message_matches_the_former_regexes(bits: list[str]) -> None:
    """A failed call's message is given the kind the former regular expressions gave it."""
    text = "".join(bits)
    assert classify_error(text) is _old_kind(text)


def test_error_kinds_of_known_messages() -> None:
    """Known messages keep their kinds, a failing-test line far into a long output included."""
    long_output = "x" * 5000 + "\n=== 3 failed, 10 passed ===\n"
    assert classify_error("Error: Permission denied (publickey)") is ErrorKind.PERMISSION_DENIED
    assert classify_error("Command timed out after 2m") is ErrorKind.TIMEOUT
    assert classify_error(long_output) is ErrorKind.TEST_FAILURE
    assert classify_error("x" * 25000 + "\n3 failed\n") is ErrorKind.AGENT_ERROR  # past the 20,000 read
    assert classify_error("exit code 1: no such file") is ErrorKind.AGENT_ERROR


def test_lines_are_read_with_their_blanks_as_before() -> None:
    """Blank lines, CRLF endings and form feeds around a record read as before the unstripped fast parse."""
    import io

    from sessionoptimizer_sdk.importers._reader import iter_lines

    payload = b'{"a": 1}\r\n  \n\n{"b": 2}\x0c\n \t{"c": 3}\n{"d": 4}'
    out = list(iter_lines(io.BytesIO(payload), 0, 0))
    assert out == [
        (1, 10, {"a": 1}, None),
        (2, 13, None, None),
        (3, 14, None, None),
        (4, 24, {"b": 2}, None),
        (5, 35, {"c": 3}, None),
        (6, 43, {"d": 4}, None),  # a complete last line without its newline is read
    ]
