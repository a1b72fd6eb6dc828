"""The installed hook command exits 0 with no output even when the package or interpreter it names is gone.

Claude Code runs the command with ``sh -c`` and reads exit status 2 from PreToolUse as "block the tool call"
(from Stop: "do not stop"); Python exits 2 when it cannot open its script, e.g. after ``pip uninstall``.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import sessionoptimizer_sdk.hooks as hooks_pkg
from sessionoptimizer_sdk.hooks.settings import hook_command
from tests.closing_loop._hook_run import run_hook

_REAL_SCRIPT = Path(hooks_pkg.__file__).with_name("_fast.py")


_sh = run_hook


def _payloads(tmp_path: Path) -> list[dict[str, Any]]:
    """A PreToolUse Bash, a PreToolUse Read and a Stop payload of one session."""
    common = {"session_id": "gone1", "transcript_path": str(tmp_path / "t.jsonl"), "cwd": str(tmp_path)}
    return [
        {**common, "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}},
        {**common, "hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {"file_path": "/x"}},
        {**common, "hook_event_name": "Stop", "stop_hook_active": False},
    ]


def test_command_whose_package_was_removed_exits_zero_silently(tmp_path: Path) -> None:
    """After the package folder is deleted, every event's hook exits 0 with empty stdout and stderr."""
    pkg = tmp_path / "venv-site" / "sessionoptimizer_sdk"
    shutil.copytree(_REAL_SCRIPT.parent, pkg / "hooks", ignore=shutil.ignore_patterns("__pycache__"))
    installed = hook_command(agent="T", home=str(tmp_path / "home"), strict=True).replace(
        shlex.quote(str(_REAL_SCRIPT)), shlex.quote(str(pkg / "hooks" / "_fast.py"))
    )
    assert str(pkg) in installed  # the command now runs the copy, as an install from that env would
    fail = {**_payloads(tmp_path)[0], "tool_input": {"command": "make"}}
    for _ in range(2):  # with the package present the copy works: two identical failures, then a deny
        _sh(installed, {**fail, "hook_event_name": "PostToolUseFailure", "error": "Exit code 2"})
    assert '"permissionDecision": "deny"' in _sh(installed, fail).stdout
    shutil.rmtree(pkg.parent)
    for payload in _payloads(tmp_path):
        done = _sh(installed, payload)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), payload["hook_event_name"]


def test_command_whose_interpreter_was_removed_exits_zero_silently(tmp_path: Path) -> None:
    """With its Python gone (a cleaned uvx/pipx env) the hook still exits 0 with no output."""
    installed = hook_command(agent="T", home=str(tmp_path / "home"), python=str(tmp_path / "gone" / "python"))
    for payload in _payloads(tmp_path):
        done = _sh(installed, payload)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), payload["hook_event_name"]
