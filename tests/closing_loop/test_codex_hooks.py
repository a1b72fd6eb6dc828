"""Codex: hooks.json entries under .codex/, and the retry guard fed Codex hook payloads (codex-rs hook schemas)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk.cli._app import cli


def _payload(event: str, tool: str, tool_input: dict[str, Any], n: int, **extra: Any) -> str:
    """A payload shaped like codex-rs/hooks/schema/generated/*.command.input.schema.json."""
    base = {
        "session_id": "019a0c1e-codex",
        "transcript_path": None,
        "cwd": "/work/proj",
        "model": "gpt-5-codex",
        "permission_mode": "default",
        "turn_id": f"turn-{n}",
        "hook_event_name": event,
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": f"call_{n}",
    }
    return json.dumps({**base, **extra})


def test_codex_install_writes_project_hooks_json_and_guard_flags_retries(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--target codex writes ./.codex/hooks.json; its command flags a third identical failing Bash call."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(
        cli,
        ["--home", str(home), "hooks", "install", "--agent", "CODEX", "--target", "codex", "--write"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.stderr
    data = json.loads((tmp_path / ".codex" / "hooks.json").read_text())
    assert sorted(data["hooks"]) == ["PostToolUse", "PreCompact", "PreToolUse", "SessionStart", "Stop"]
    [group] = data["hooks"]["PreToolUse"]
    assert group["matcher"] == "Bash"
    command = group["hooks"][0]["command"]

    def run(data: str) -> str:
        done = subprocess.run(["sh", "-c", command], input=data, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0
        return done.stdout

    cmd = {"command": "cargo test -p core"}
    failure = {"exit_code": 101, "stdout": "", "stderr": "error[E0425]: cannot find value `x`"}
    for n in (1, 2):
        assert run(_payload("PreToolUse", "Bash", cmd, n)) == ""
        assert run(_payload("PostToolUse", "Bash", cmd, n, tool_response=failure)) == ""
    answer = json.loads(run(_payload("PreToolUse", "Bash", cmd, 3)))
    assert answer["hookSpecificOutput"]["hookEventName"] == "PreToolUse"
    assert "call_2" in answer["hookSpecificOutput"]["additionalContext"]
    patch = {"command": "*** Begin Patch\n*** Update File: src/lib.rs\n*** End Patch"}
    assert run(_payload("PostToolUse", "apply_patch", patch, 3, tool_response={"exit_code": 0})) == ""
    assert run(_payload("PreToolUse", "Bash", cmd, 4)) == ""  # an edit since: not a loop any more
    assert (home / "hooks" / "codex" / "019a0c1e-codex.jsonl").is_file()
