"""The hook as Claude Code runs it: ``sh -c COMMAND`` fed the documented JSON payloads on stdin.

Payloads follow the Claude Code hooks reference (code.claude.com/docs/en/hooks, 2026 revision with
PostToolUseFailure and PreToolUse ``additionalContext``): common fields ``session_id``, ``transcript_path``,
``cwd``, ``permission_mode``, ``hook_event_name``; tool events add ``tool_name``, ``tool_input``,
``tool_use_id``; PostToolUse adds ``tool_response``; PostToolUseFailure adds ``error``.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import StoreError
from sessionoptimizer_sdk.hooks.settings import hook_command
from sessionoptimizer_sdk.store import open_store
from tests._paths import FIXTURES

_TOP_KEYS = {
    "continue",
    "suppressOutput",
    "stopReason",
    "systemMessage",
    "decision",
    "reason",
    "hookSpecificOutput",
}
_PRE_KEYS = {
    "hookEventName",
    "permissionDecision",
    "permissionDecisionReason",
    "additionalContext",
    "updatedInput",
}


def _check_pre_output(stdout: str) -> dict[str, Any] | None:
    """Validate stdout against the documented PreToolUse output schema; None for an empty answer."""
    if not stdout.strip():
        return None
    out = json.loads(stdout)
    assert isinstance(out, dict) and set(out) <= _TOP_KEYS
    spec = out["hookSpecificOutput"]
    assert isinstance(spec, dict) and set(spec) <= _PRE_KEYS
    assert spec["hookEventName"] == "PreToolUse"
    if "permissionDecision" in spec:
        assert spec["permissionDecision"] in {"allow", "deny", "ask"}
        assert isinstance(spec["permissionDecisionReason"], str) and spec["permissionDecisionReason"]
    if "additionalContext" in spec:
        assert isinstance(spec["additionalContext"], str)
    return spec


class Hook:
    """Runs the installed hook command once per payload, like Claude Code does."""

    def __init__(self, home: Path, cwd: Path, *, strict: bool = False, store: str | None = None) -> None:
        self.command = hook_command(agent="CLAUDE", home=str(home), strict=strict, store=store)
        self.session_id = "0b9d6c1e-5a7f-4c21-9d1e-2f0c3a4b5c6d"
        self.home, self.cwd = home, cwd
        self.turn = 0

    def run(self, payload: dict[str, Any] | str) -> subprocess.CompletedProcess[str]:
        """Run the hook command once with ``payload`` on stdin."""
        data = payload if isinstance(payload, str) else json.dumps(payload)
        env = {k: v for k, v in os.environ.items() if k != "SESSIONOPTIMIZER_HOOK_RAISE"}
        return subprocess.run(
            ["sh", "-c", self.command],
            input=data,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )

    def payload(
        self,
        event: str,
        tool: str | None = None,
        tool_input: dict[str, Any] | None = None,
        *,
        new: bool = True,
        **extra: Any,
    ):
        """A payload; ``new`` starts a new tool call id (PostToolUse of the same call passes ``new=False``)."""
        self.turn += new and tool is not None
        p: dict[str, Any] = {
            "session_id": self.session_id,
            "transcript_path": str(self.cwd / "no-transcript.jsonl"),
            "cwd": str(self.cwd),
            "permission_mode": "default",
            "hook_event_name": event,
        }
        if tool is not None:
            p.update(tool_name=tool, tool_input=tool_input or {}, tool_use_id=f"toolu_{self.turn:02d}")
        p.update(extra)
        return p

    def read(self, path: Path, **rng: Any) -> dict[str, Any] | None:
        """PreToolUse then (when allowed) PostToolUse of a Read; returns the PreToolUse answer."""
        args = {"file_path": str(path), **rng}
        pre = self.run(self.payload("PreToolUse", "Read", args))
        assert pre.returncode == 0, pre.stderr
        spec = _check_pre_output(pre.stdout)
        if spec is None or spec.get("permissionDecision") != "deny":
            post = self.run(
                self.payload("PostToolUse", "Read", args, new=False, tool_response={"type": "text"})
            )
            assert post.returncode == 0 and post.stdout == ""
        return spec


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with a 300-line source file last modified an hour ago (as most sources are)."""
    src = tmp_path / "proj"
    src.mkdir()
    app = src / "app.py"
    app.write_text("".join(f"line {i}\n" for i in range(1, 301)))
    hour_ago = time.time() - 3600
    os.utime(app, (hour_ago, hour_ago))  # a file written in the last 2 s is never trusted as unchanged
    return src


def test_duplicate_read_gets_context_naming_the_earlier_call(home: Path, project: Path) -> None:
    """The second identical Read is answered with additionalContext naming tool call #1 (toolu_01)."""
    hook = Hook(home, project)
    assert hook.read(project / "app.py") is None
    spec = hook.read(project / "app.py")
    assert spec is not None and "permissionDecision" not in spec
    assert "#1 (toolu_01)" in spec["additionalContext"]


def test_strict_mode_denies_with_the_reason(home: Path, project: Path) -> None:
    """In strict mode the duplicate Read is denied and the reason reaches the model."""
    hook = Hook(home, project, strict=True)
    hook.read(project / "app.py", offset=1, limit=50)
    spec = hook.read(project / "app.py", offset=10, limit=10)
    assert spec is not None and spec["permissionDecision"] == "deny"
    assert "lines 10-19" in spec["permissionDecisionReason"]


def test_edit_new_range_and_changed_file_are_never_flagged(home: Path, project: Path) -> None:
    """A re-read after an Edit, a new line range, and a re-read after the file changed on disk pass silently."""
    hook = Hook(home, project)
    target = project / "app.py"
    assert hook.read(target, offset=1, limit=100) is None
    assert hook.read(target, offset=101, limit=100) is None  # new range
    edit = {"file_path": str(target), "old_string": "line 5\n", "new_string": "line five\n"}
    assert (
        hook.run(hook.payload("PostToolUse", "Edit", edit, tool_response={"filePath": str(target)})).stdout
        == ""
    )
    assert hook.read(target, offset=1, limit=100) is None  # after the edit
    target.write_text(target.read_text() + "appended\n")  # changed by something else (a shell command)
    assert hook.read(target, offset=1, limit=100) is None


def test_third_identical_failing_command_gets_retry_context(home: Path, project: Path) -> None:
    """After two identical failures (PostToolUseFailure), the third PreToolUse of the command is flagged."""
    hook = Hook(home, project)
    cmd = {"command": "pytest -x tests/test_app.py", "description": "Run tests"}
    for _ in range(2):
        assert _check_pre_output(hook.run(hook.payload("PreToolUse", "Bash", cmd)).stdout) is None
        error = "Exit code 1\nE   ImportError: app"
        failed = hook.run(hook.payload("PostToolUseFailure", "Bash", cmd, new=False, error=error))
        assert failed.returncode == 0 and failed.stdout == ""
    spec = _check_pre_output(hook.run(hook.payload("PreToolUse", "Bash", cmd)).stdout)
    assert spec is not None and "failed 2 times" in spec["additionalContext"]


def test_compaction_resets_the_guard(home: Path, project: Path) -> None:
    """After SessionStart with source "compact" the earlier reads are out of context: no flag."""
    hook = Hook(home, project)
    hook.read(project / "app.py")
    assert hook.run(hook.payload("SessionStart", source="compact")).stdout == ""
    assert hook.read(project / "app.py") is None


def test_bad_input_exits_zero_silently_and_is_logged_once(home: Path, project: Path) -> None:
    """Garbage, a non-object and a hostile session id never block: exit 0, no stdout, one log line per kind."""
    hook = Hook(home, project)
    for data in ("not json", "not json either", "[1, 2]"):
        done = hook.run(data)
        assert (done.returncode, done.stdout) == (0, "")
    evil = hook.payload("PostToolUse", "Read", {"file_path": "/etc/passwd"})
    evil["session_id"] = "../../escape"
    assert hook.run(evil).returncode == 0
    assert [p.name for p in (home / "hooks").rglob("*")] == ["errors.log"]  # nothing written for the bad id
    lines = (home / "hooks" / "errors.log").read_text().splitlines()
    assert len(lines) == 2  # JSONDecodeError once (two garbage inputs), ValueError once (the list)


def test_state_file_is_private(home: Path, project: Path) -> None:
    """The per-session state file is created 0600 (it holds file paths and commands)."""
    hook = Hook(home, project)
    hook.read(project / "app.py")
    [state] = (home / "hooks" / "claude-code").iterdir()
    assert state.stat().st_mode & 0o777 == 0o600
    assert state.parent.stat().st_mode & 0o777 == 0o700


_REAL = (
    FIXTURES
    / "claude-code-sniffly"
    / "-Users-chip-dev-ai-music"
    / "d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl"
)


@pytest.mark.skipif(not _REAL.is_file(), reason="shared fixtures not present")
def test_stop_imports_the_transcript_into_the_store_in_the_background(
    home: Path, project: Path, store_url: str
) -> None:
    """Stop returns at once and a detached import puts the real transcript's session into the hook's store."""
    hook = Hook(home, project, store=store_url)
    hook.session_id = _REAL.stem
    stop = hook.payload("Stop", stop_hook_active=False)
    stop["transcript_path"] = str(_REAL)
    done = hook.run(stop)
    assert (done.returncode, done.stdout) == (0, "")
    deadline = time.monotonic() + 90
    session = None
    while time.monotonic() < deadline and (
        session is None or session.event_count == 0
    ):  # row first, events next
        time.sleep(0.5)
        try:  # the import may still hold the write lock (or be migrating) under load: poll again
            store = open_store(store_url, Settings.from_env(home))
            session = store.find_session(_REAL.stem)
            store.close()
        except StoreError:
            continue
    assert session is not None and session.agent == "CLAUDE" and session.event_count > 0
    marker = home / "hooks" / "claude-code" / f"{_REAL.stem}.jsonl.imported"
    first = marker.stat().st_mtime_ns
    assert hook.run(stop).returncode == 0
    assert marker.stat().st_mtime_ns == first  # a second Stop within a minute starts no new import
