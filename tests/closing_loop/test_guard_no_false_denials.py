"""Strict mode never denies with a false reason: the hook process fed Claude Code's payloads through ``sh -c``.

A denied Read keeps stale content in the model's context; a denied test run after a fix costs a turn and a wrong
lesson. Each case has a control showing the same sequence without the change is (rightly) denied.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.hooks.settings import hook_command
from tests.closing_loop._hook_run import run_hook


class StrictHook:
    """The installed strict hook command of one session, run once per payload like Claude Code does."""

    def __init__(self, home: Path, session: str) -> None:
        self.command = hook_command(agent="T", home=str(home), strict=True)
        self.session = session
        self.calls = 0

    def send(self, event: str, tool: str, tool_input: dict[str, Any], **extra: Any) -> str:
        """Run the hook for one event of the current tool call; returns its stdout."""
        payload = {
            "session_id": self.session,
            "transcript_path": "",
            "cwd": "/",
            "permission_mode": "default",
            "hook_event_name": event,
            "tool_name": tool,
            "tool_use_id": f"toolu_{self.calls:02d}",
            "tool_input": tool_input,
            **extra,
        }
        done = run_hook(self.command, payload)
        assert (done.returncode, done.stderr) == (0, "")
        return done.stdout

    def pre(self, tool: str, tool_input: dict[str, Any]) -> str:
        """A new tool call's PreToolUse: "" when allowed silently, else the answer."""
        self.calls += 1
        return self.send("PreToolUse", tool, tool_input)


def _old_file(path: Path, text: str) -> Path:
    """Write ``path`` and date it an hour back (a source file not touched recently)."""
    path.write_text(text)
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    return path


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A one-line source file last modified an hour ago."""
    return _old_file(tmp_path / "app.py", "print(1)\n")


def _read(hook: StrictHook, path: Path, between: Path | None = None) -> str:
    """A whole Read: PreToolUse, then (if ``between``) a same-size rewrite, then PostToolUse."""
    answer = hook.pre("Read", {"file_path": str(path)})
    if between is not None:
        stat = path.stat()
        path.write_text("print(2)\n")  # same size; mtime set back as rsync -t or cp -p would
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    hook.send("PostToolUse", "Read", {"file_path": str(path)}, tool_response={"type": "text"})
    return answer


def test_unchanged_file_reread_is_denied(home: Path, app: Path) -> None:
    """Control: the identical re-read of an hour-old unchanged file is denied naming the first Read."""
    hook = StrictHook(home, "ctl")
    assert _read(hook, app) == ""
    answer = json.loads(hook.pre("Read", {"file_path": str(app)}))["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"
    assert f"lines 1-2000 of {app}" in answer["permissionDecisionReason"]


def test_file_rewritten_while_read_is_not_denied_later(home: Path, app: Path) -> None:
    """A file rewritten during the Read (same size and mtime afterwards) is never called unchanged."""
    hook = StrictHook(home, "during")
    assert _read(hook, app, between=app) == ""
    assert hook.pre("Read", {"file_path": str(app)}) == ""


def test_file_rewritten_before_the_post_hook_without_pre_record_is_not_denied(home: Path, app: Path) -> None:
    """A Read whose version was not taken before it ran (no PreToolUse record) never makes a deny."""
    hook = StrictHook(home, "nopre")
    hook.calls += 1
    app.write_text("print(2)\n")  # the model saw print(1); the disk now has print(2)
    hook.send("PostToolUse", "Read", {"file_path": str(app)}, tool_response={"type": "text"})
    assert hook.pre("Read", {"file_path": str(app)}) == ""


def test_file_modified_within_two_seconds_of_the_read_is_not_denied(home: Path, tmp_path: Path) -> None:
    """A file written just before the Read may change again unseen (coarse mtime): its re-read is allowed."""
    hook = StrictHook(home, "racy")
    fresh = tmp_path / "fresh.py"
    fresh.write_text("print(1)\n")
    assert _read(hook, fresh) == ""
    assert hook.pre("Read", {"file_path": str(fresh)}) == ""


def _fail(hook: StrictHook, command: str) -> None:
    hook.calls += 1
    hook.send(
        "PostToolUseFailure",
        "Bash",
        {"command": command},
        error="Exit code 1\nFAILED test_x - AssertionError",
    )


def test_identical_failures_in_a_row_deny_the_third_run(home: Path) -> None:
    """Control: two identical failing test runs in a row deny the third."""
    hook = StrictHook(home, "retry")
    _fail(hook, "pytest -x tests")
    _fail(hook, "pytest -x tests")
    answer = json.loads(hook.pre("Bash", {"command": "pytest -x tests"}))["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny" and "2 times" in answer["permissionDecisionReason"]


def test_edit_through_bash_between_failures_allows_the_rerun(home: Path) -> None:
    """A ``sed -i`` (any other Bash command) between two failing runs makes the third run allowed."""
    hook = StrictHook(home, "sed")
    _fail(hook, "pytest -x tests")
    hook.calls += 1
    hook.send(
        "PostToolUse",
        "Bash",
        {"command": "sed -i s/foo/bar/ src/app.py"},
        tool_response={"stdout": "", "stderr": "", "interrupted": False},
    )
    _fail(hook, "pytest -x tests")
    assert hook.pre("Bash", {"command": "pytest -x tests"}) == ""
