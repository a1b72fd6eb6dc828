"""The live guard's decision (pure): duplicate reads and failing identical retries, and nothing else."""

from __future__ import annotations

from typing import Any

from sessionoptimizer_sdk.hooks.guard import Call, decide

V1, V2 = "100:1", "120:2"


def _read(turn: int, path: str = "/p/a.py", start: float = 1, end: float = 2000, version: str = V1) -> Call:
    return Call(turn, "Read", f"toolu_{turn}", path=path, start=start, end=end, version=version)


def _bash(turn: int, command: str, *, failed: bool, error: str | None = "e1") -> Call:
    return Call(
        turn, "Bash", f"toolu_{turn}", command=command, failed=failed, error_key=error if failed else None
    )


def _ask_read(history: list[Call], path: str = "/p/a.py", version: str | None = V1, **rng: Any):
    return decide(history, "Read", {"file_path": path, **rng}, current_version=version)


def test_whole_file_reread_of_unchanged_file_names_the_earlier_turn() -> None:
    """A second whole-file Read of an unchanged file is flagged and names tool call #1 and its id."""
    v = _ask_read([_read(1)])
    assert v is not None and v.kind == "reread"
    assert (v.earlier_turn, v.earlier_id) == (1, "toolu_1")
    assert "#1" in v.reason and "toolu_1" in v.reason


def test_reread_after_edit_is_not_flagged() -> None:
    """An Edit of the file between the reads makes the re-read legitimate."""
    history = [_read(1), Call(2, "Edit", "toolu_2", path="/p/a.py")]
    assert _ask_read(history) is None


def test_file_changed_on_disk_is_not_flagged() -> None:
    """A different on-disk version (changed by a shell command or the user) is new content."""
    assert _ask_read([_read(1)], version=V2) is None


def test_unknown_current_version_is_never_flagged() -> None:
    """When the file cannot be stat-ed the guard stays silent."""
    assert _ask_read([_read(1)], version=None) is None


def test_new_range_and_partial_overlap_are_not_flagged() -> None:
    """Lines 101-200 after 1-100 are new; 51-150 has 50 new lines: neither is flagged."""
    history = [_read(1, start=1, end=100)]
    assert _ask_read(history, offset=101, limit=100) is None
    assert _ask_read(history, offset=51, limit=100) is None


def test_range_inside_union_of_earlier_reads_is_flagged() -> None:
    """Lines 50-149 were all returned by the reads of 1-100 and 101-200."""
    history = [_read(1, start=1, end=100), _read(2, start=101, end=200)]
    v = _ask_read(history, offset=50, limit=100)
    assert v is not None and "lines 50-149" in v.reason


def test_window_after_whole_read_is_flagged_but_whole_after_window_is_not() -> None:
    """A window of an already fully read file is redundant; the whole file after a window is not."""
    assert _ask_read([_read(1)], offset=10, limit=5) is not None
    assert _ask_read([_read(1, start=1, end=100)]) is None


def test_lines_past_the_default_read_window_are_new() -> None:
    """A Read without limit returns 2,000 lines: lines 2001+ of a long file are new content."""
    assert _ask_read([_read(1)], offset=2001, limit=100) is None
    assert _ask_read([_read(1)], offset=1990, limit=20) is None
    assert _ask_read([_read(1)], offset=1981, limit=20) is not None


def test_reset_after_compaction_clears_history() -> None:
    """After a compaction or /clear the earlier content is gone from context: re-reading is fine."""
    history = [_read(1), Call(2, "SessionStart", reset=True)]
    assert _ask_read(history) is None


def test_other_file_is_not_flagged() -> None:
    """A read of a different path is never matched to another file's reads."""
    assert _ask_read([_read(1, path="/p/b.py")]) is None


def test_command_failing_twice_identically_is_flagged_on_third_try() -> None:
    """Two identical failures with the same error: the third attempt gets the retry context."""
    history = [_bash(1, "pytest -x", failed=True), _bash(2, "pytest -x", failed=True)]
    v = decide(history, "Bash", {"command": "pytest -x"}, current_version=None)
    assert v is not None and v.kind == "retry" and v.earlier_turn == 2
    assert "2 times" in v.reason


def test_single_failure_edit_between_or_other_error_is_not_flagged() -> None:
    """One failure, an edit after failures, or a changed error message are not a loop."""
    one = [_bash(1, "make", failed=True)]
    edited = [*one, _bash(2, "make", failed=True), Call(3, "Edit", "t3", path="/p/a.py")]
    changed = [_bash(1, "make", failed=True, error="e1"), _bash(2, "make", failed=True, error="e2")]
    for history in (one, edited, changed):
        assert decide(history, "Bash", {"command": "make"}, current_version=None) is None


def test_success_breaks_the_failure_streak_and_other_commands_do_not_match() -> None:
    """A success of the command resets its streak; a different command line is never matched."""
    history = [_bash(1, "make", failed=True), _bash(2, "make", failed=False), _bash(3, "make", failed=True)]
    assert decide(history, "Bash", {"command": "make"}, current_version=None) is None
    fails = [_bash(1, "make", failed=True), _bash(2, "make", failed=True)]
    assert decide(fails, "Bash", {"command": "make test"}, current_version=None) is None


def test_synthetic_session_guard_removes_exactly_the_duplicate_reads() -> None:
    """Replaying a session: of 8 reads, exactly the 3 exact duplicates (by hand) are flagged."""
    # (tool, path, offset, limit, version) in order; expected flags computed by hand.
    script: list[tuple[str, str, int | None, int | None, str, bool]] = [
        ("Read", "/p/a.py", None, None, V1, False),  # first read
        ("Read", "/p/a.py", None, None, V1, True),  # exact duplicate
        ("Read", "/p/b.py", 1, 100, V1, False),  # new file
        ("Read", "/p/b.py", 101, 100, V1, False),  # new range
        ("Read", "/p/b.py", 20, 50, V1, True),  # inside 1-200
        ("Edit", "/p/a.py", None, None, V1, False),
        ("Read", "/p/a.py", None, None, V2, False),  # after edit (new version)
        ("Read", "/p/a.py", 1, 10, V2, True),  # inside the post-edit read
        ("Read", "/p/b.py", 150, 100, V1, False),  # 201-249 are new
    ]
    history: list[Call] = []
    flagged = []
    for turn, (tool, path, off, lim, ver, expected) in enumerate(script, 1):
        args: dict[str, Any] = {"file_path": path}
        if off is not None:
            args.update(offset=off, limit=lim)
        v = decide(history, tool, args, current_version=ver) if tool == "Read" else None
        flagged.append(v is not None)
        assert (v is not None) == expected, (turn, tool, path, off, lim)
        if tool == "Read":
            start = float(off or 1)
            end = start + lim - 1 if lim else start + 1999
            history.append(Call(turn, tool, f"t{turn}", path=path, start=start, end=end, version=ver))
        else:
            history.append(Call(turn, tool, f"t{turn}", path=path))
    assert sum(flagged) == 3


def test_pdf_page_reads_are_never_judged() -> None:
    """A Read with ``pages`` (PDF) or any unknown argument is let through: its content is not a line range."""
    assert _ask_read([_read(1)], pages="1-5") is None
