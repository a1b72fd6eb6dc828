"""The import fast paths give exactly what the plain stdlib paths gave: hashes, stored data, report files, metadata."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk._internal.jsonsafe import dumps
from sessionoptimizer_sdk.analysis.stored import report_json
from sessionoptimizer_sdk.importers._codex_tools import file_read_of
from sessionoptimizer_sdk.importers._common import sha256_json
from sessionoptimizer_sdk.importers.claude_code import load_transcript

from ._cc_builder import Transcript


def _reference_sha(value: object) -> str:
    """The canonical-JSON hash as the stdlib writes it (sorted keys, compact, UTF-8, surrogates replaced)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.sampled_from([1e-5, 1e-7, 0.00012, 1e16, 1e-300, 5e-324, -0.0]),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    _floats,
    st.text(st.characters(exclude_categories=())),
    st.sampled_from(["null", "1e-5", "re-run", "0.00001", "é😀", "a\ud800b"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(st.characters(exclude_categories=()), max_size=5), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_argument_hash_is_the_stdlib_canonical_json_hash(value: Any) -> None:
    """sha256_json gives the hash of the stdlib's canonical JSON for any JSON value, floats and surrogates included."""
    assert sha256_json(value) == _reference_sha(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [1.5, None, True]}, '{"a":[1.5,null,true],"b":1}'),
        ({"t": 1e-05}, '{"t":1e-05}'),
        ({"t": 1e-07}, '{"t":1e-07}'),
        ({"cmd": "re-run"}, '{"cmd":"re-run"}'),
        ({"k": "é"}, '{"k":"é"}'),
    ],
)
def test_argument_hash_of_known_texts(value: object, text: str) -> None:
    """Hashes are those of the exact canonical texts written out by hand."""
    assert sha256_json(value) == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"x": None, "n": float("nan")}, {"x": None, "n": "nan"}),
        ({"x": None, "deep": [{"i": float("-inf")}]}, {"x": None, "deep": [{"i": "-inf"}]}),
        (
            {"offset": None, "limit": None, "file_path": "/a.py"},
            {"offset": None, "limit": None, "file_path": "/a.py"},
        ),
        ({"x": None, "t": (1, None)}, {"x": None, "t": [1, None]}),
    ],
    ids=["null-beside-nan", "null-beside-nested-inf", "nulls-only", "null-in-tuple"],
)
def test_stored_data_with_nulls_keeps_nulls_and_turns_non_finite_to_text(
    data: dict[str, Any], expected: object
) -> None:
    """Event data holding nulls is stored as nulls, and NaN/inf beside them still become text."""
    assert json.loads(dumps(data)) == expected


def test_report_file_text_is_the_stdlib_indented_json() -> None:
    """The report file holds the same bytes json.dumps(indent=2, ensure_ascii=False) writes."""
    report: dict[str, Any] = {
        "id": "s1",
        "cost": None,
        "score": 87.5,
        "tiny": 1e-05,
        "name": "é",
        "items": [{"a": 1}, []],
        "e": {},
    }
    assert report_json(report) == json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")


def test_report_file_keeps_the_stdlib_rules_for_odd_values() -> None:
    """NaN in a report is refused (ValueError) and integer keys are written as strings, as the stdlib does."""
    with pytest.raises(ValueError, match="Out of range float values"):
        report_json({"x": float("nan"), "y": None})
    assert json.loads(report_json({"by_hour": {3: 1}})) == {"by_hour": {"3": 1}}


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("cat src/a.py", "src/a.py"),
        ("'cat' src/a.py", "src/a.py"),
        ('"head" -20 src/a.py', "src/a.py"),
        ("nl -ba src/a.py | sed -n '1,20p'", "src/a.py"),
        ("ls -la", None),
        ("python -m pytest -q", None),
        ("   ", None),
    ],
)
def test_shell_reads_are_recognised_with_or_without_quotes(command: str, path: str | None) -> None:
    """Reader commands are recognised (a quoted command name too); other commands are not reads."""
    found = file_read_of(command)
    assert (found or {}).get("file_path") == path


def test_project_follows_the_latest_working_directory(tmp_path: Path) -> None:
    """A transcript whose cwd changes names the project after the last cwd seen."""
    t = Transcript(cwd="/work/first")
    t.call("Read", {"file_path": "/work/first/a.py"}, "x = 1\n")
    t.cwd = "/work/second-proj"
    t.call("Read", {"file_path": "/work/second-proj/b.py"}, "y = 2\n")
    session = load_transcript(t.write(tmp_path / "s.jsonl")).session
    assert session.metadata["cwd"] == "/work/second-proj"
    assert session.metadata["project"] == "second-proj"


def test_repeated_usage_lines_count_once_with_the_largest_output(tmp_path: Path) -> None:
    """Lines repeating one response's usage give one response event: first time, largest output, tokens once."""
    t = Transcript()
    t.call("Read", {"file_path": "/work/proj/a.py"}, "x\n", usage={"input_tokens": 5, "output_tokens": 1})
    first = dict(t.lines[0])
    again = json.loads(json.dumps(first))
    again["uuid"] = "u-again"
    again["timestamp"] = "2026-01-21T10:00:09Z"
    again["message"]["usage"] = {"input_tokens": 5, "output_tokens": 40}
    t.lines.insert(1, again)
    imported = load_transcript(t.write(tmp_path / "s.jsonl"))
    (response,) = [e for e in imported.events if e.event_type.value == "AI_RESPONSE"]
    assert (response.tokens_input, response.tokens_output) == (5, 40)
    assert response.timestamp.isoformat() == "2026-01-21T10:00:05+00:00"  # the first line's time is kept
    assert imported.session.tokens.output_tokens == 40
    assert not math.isnan(imported.session.tokens.input_tokens)


_words = st.sampled_from(
    [
        "git",
        "checkout",
        "stash",
        "sed",
        "-i",
        "-n",
        "mv",
        "cp",
        "rm",
        "ruff",
        "format",
        "black",
        "x.py",
        "used",
        "FOO=1",
        "python",
        "-m",
        "uv",
        "run",
        "prettier",
        "--write",
        "--",
        ".",
        "ls",
        "gi",
        "t",
        "cat",
    ]
)
_glue = st.sampled_from([" ", "  ", "'", '"', "\\", ";", "&&", "||", "|", "&", "\n", "\t", "", "x"])


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(_words, _glue), max_size=8))
def test_write_detection_fast_reject_never_changes_the_answer(parts: list[tuple[str, str]]) -> None:
    """file_writes_of answers as the full shell-style parse does for commands mixing tools, quotes and separators."""
    from sessionoptimizer_sdk.importers import _codex_tools
    from sessionoptimizer_sdk.importers._codex_tools import file_writes_of

    command = "".join(word + glue for word, glue in parts)
    fast = file_writes_of(command)
    real_filter = _codex_tools._WRITER
    _codex_tools._WRITER = re.compile("")  # matches everything: the full parse always runs
    try:
        slow = file_writes_of(command)
    finally:
        _codex_tools._WRITER = real_filter
    assert fast == slow


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("sed -i 's/a/b/' src/x.py", ["src/x.py"]),
        ("'g'it stash", ["*"]),
        ("cd src && mv a.py b.py", ["b.py", "a.py"]),
        ("grep -rn used src", None),
        ("/usr/bin/git status", None),
    ],
)
def test_write_detection_examples(command: str, expected: list[str] | None) -> None:
    """Writing commands are found (a quoted tool name too); reading ones and non-tools are not."""
    from sessionoptimizer_sdk.importers._codex_tools import file_writes_of

    assert file_writes_of(command) == expected
