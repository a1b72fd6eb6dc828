"""The per-session state file stays bounded, and a damaged line never switches the guard off.

Real hook processes (the installed command under ``sh -c``) write and read the state file; the expected sizes
come from the documented bounds (2 MiB read window, rotation to ``.old`` past half of it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk.hooks.settings import hook_command
from tests.closing_loop._hook_run import run_hook

_MIB = 1024 * 1024


def _hook(home: Path, session: str, event: str, command: str, **extra: Any) -> str:
    """Run the strict installed hook once for a Bash ``command``; returns its stdout."""
    payload = {
        "session_id": session,
        "transcript_path": "",
        "cwd": "/",
        "hook_event_name": event,
        "tool_name": "Bash",
        "tool_use_id": f"toolu_{event}",
        "tool_input": {"command": command},
        **extra,
    }
    done = run_hook(hook_command(agent="T", home=str(home), strict=True), payload)
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def _fail(home: Path, session: str, command: str) -> None:
    _hook(home, session, "PostToolUseFailure", command, error="Exit code 1\nboom")


def _denied(home: Path, session: str, command: str) -> bool:
    out = _hook(home, session, "PreToolUse", command)
    return bool(out) and json.loads(out)["hookSpecificOutput"]["permissionDecision"] == "deny"


def _state(home: Path, session: str) -> Path:
    return home / "hooks" / "claude-code" / f"{session}.jsonl"


def test_damaged_lines_are_skipped_and_the_guard_keeps_working(home: Path) -> None:
    """Non-object, non-finite and mistyped lines in the state file are skipped; two failures still deny."""
    _fail(home, "dmg", "make")
    _fail(home, "dmg", "make")
    with _state(home, "dmg").open("a") as fh:
        fh.write('[1]\n{"turn":1e999}\n{"turn":"x","tool":5}\nnull\n{"start":NaN}\n\x00\x01\n')
    assert _denied(home, "dmg", "make")


def test_a_long_command_is_stored_as_a_short_line_and_still_matched(home: Path) -> None:
    """A 1 MiB command adds under 1 KiB to the state file, and its third identical failure is denied."""
    long_command = "echo " + "a" * _MIB
    _fail(home, "long", long_command)
    _fail(home, "long", long_command)
    assert _state(home, "long").stat().st_size < 1024
    assert _denied(home, "long", long_command)
    assert not _denied(home, "long", long_command + "b")  # another long command is another command


def test_a_full_state_file_is_rotated_and_its_history_still_counts(home: Path) -> None:
    """Past 1 MiB the state file moves to ``.old`` (the session keeps at most ~2 MiB) and is still read."""
    state = _state(home, "rot")
    state.parent.mkdir(parents=True, mode=0o700)
    line = json.dumps({"turn": 1, "tool": "Read", "id": "t", "path": "/p/x.py", "start": 1, "end": 9}) + "\n"
    state.write_text(line * (_MIB // len(line)))  # just under 1 MiB of earlier Reads
    _fail(home, "rot", "make")
    _fail(home, "rot", "make")
    old = state.with_name(state.name + ".old")
    assert old.exists() and state.stat().st_size < 1024  # rotated when it passed 1 MiB
    assert old.stat().st_size + state.stat().st_size <= 2 * _MIB
    assert _denied(home, "rot", "make")  # the failure that landed in .old still counts
