"""``hooks install`` / ``hooks uninstall`` on copies of settings.json: dry run, backup, only our entries."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.store import open_store
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

_USER_SETTINGS: dict[str, Any] = {
    "model": "sonnet",
    "permissions": {"allow": ["Bash(npm test:*)"]},
    "hooks": {
        "PostToolUse": [
            {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": 'prettier --write "$FILE"'}]}
        ],
        "Notification": [{"hooks": [{"type": "command", "command": "notify-send claude"}]}],
    },
}


def _run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    """A copy of a user's project settings.json with hooks of their own."""
    path = tmp_path / "proj" / ".claude" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_USER_SETTINGS, indent=4))
    return path


def _ours(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (event, group.get("matcher", ""))
        for event, groups in data.get("hooks", {}).items()
        for group in groups
        for h in group["hooks"]
        if "--sessionoptimizer-hook" in h["command"]
    ]


def test_install_is_a_dry_run_by_default(home: Path, settings: Path) -> None:
    """Without --write the diff is shown and the file is byte-for-byte unchanged."""
    before = settings.read_bytes()
    result = _run(home, "hooks", "install", "--agent", "CLAUDE", "--settings", str(settings))
    assert result.exit_code == 0
    assert "+" in result.stdout and "dry run" in result.stdout
    assert settings.read_bytes() == before
    assert list(settings.parent.iterdir()) == [settings]


def test_install_writes_our_entries_keeps_the_rest_and_backs_up(home: Path, settings: Path) -> None:
    """--write adds one entry per event (7), keeps every user setting and hook, and leaves a backup copy."""
    before = settings.read_text()
    result = _run(home, "hooks", "install", "--agent", "CLAUDE", "--settings", str(settings), "--write")
    assert result.exit_code == 0, result.stderr
    data = json.loads(settings.read_text())
    assert sorted(_ours(data)) == sorted(
        [
            ("PreToolUse", "Read|Bash"),
            ("PostToolUse", "Read|Edit|MultiEdit|Write|NotebookEdit|Bash"),
            ("PostToolUseFailure", "Read|Bash"),
            ("SessionStart", ""),
            ("PreCompact", ""),
            ("Stop", ""),
            ("SessionEnd", ""),
        ]
    )
    assert data["model"] == "sonnet" and data["permissions"] == _USER_SETTINGS["permissions"]
    assert data["hooks"]["PostToolUse"][0] == _USER_SETTINGS["hooks"]["PostToolUse"][0]
    assert data["hooks"]["Notification"] == _USER_SETTINGS["hooks"]["Notification"]
    [backup] = [p for p in settings.parent.iterdir() if p.name.endswith(".bak")]
    assert backup.read_text() == before
    [record] = SQLiteStore(home / "sessionoptimizer.db").list_enablements("CLAUDE")
    assert (record["kind"], record["action"]) == ("guard", "enabled")


def test_reinstall_is_idempotent_and_uninstall_restores_the_original(home: Path, settings: Path) -> None:
    """Installing twice leaves one set of entries; uninstalling gives back exactly the user's settings."""
    for _ in range(2):
        _run(home, "hooks", "install", "--agent", "CLAUDE", "--settings", str(settings), "--write")
    assert len(_ours(json.loads(settings.read_text()))) == 7
    second = _run(home, "hooks", "install", "--agent", "CLAUDE", "--settings", str(settings), "--write")
    assert "nothing to change" in second.stdout
    result = _run(home, "hooks", "uninstall", "--settings", str(settings), "--write")
    assert result.exit_code == 0, result.stderr
    assert json.loads(settings.read_text()) == _USER_SETTINGS
    kinds = [
        (r["kind"], r["action"]) for r in SQLiteStore(home / "sessionoptimizer.db").list_enablements("CLAUDE")
    ]
    assert kinds == [("guard", "enabled"), ("guard", "disabled")]


def test_install_into_missing_file_then_uninstall_leaves_no_hooks(home: Path, tmp_path: Path) -> None:
    """A fresh settings.json gets only our hooks; uninstall removes the hooks key it added."""
    path = tmp_path / "new" / ".claude" / "settings.json"
    assert _run(home, "hooks", "install", "--agent", "A", "--settings", str(path), "--write").exit_code == 0
    assert len(_ours(json.loads(path.read_text()))) == 7
    _run(home, "hooks", "uninstall", "--settings", str(path), "--write")
    assert json.loads(path.read_text()) == {}


def test_damaged_settings_file_is_refused_and_untouched(home: Path, settings: Path) -> None:
    """A settings file that is not a JSON object is a clear error (exit 2) and nothing is written."""
    settings.write_text('{"hooks": [1, 2]}')
    result = _run(home, "hooks", "install", "--agent", "A", "--settings", str(settings), "--write")
    assert result.exit_code == 2 and "'hooks' is not a JSON object" in result.stderr
    assert settings.read_text() == '{"hooks": [1, 2]}'
    assert len(list(settings.parent.iterdir())) == 1


def test_install_with_a_store_url_imports_there_and_refuses_a_password(
    home: Path, settings: Path, store_url: str
) -> None:
    """--store goes into every hook command and the enablement into that store; a URL with a password is refused."""
    before = settings.read_text()
    args = ("hooks", "install", "--agent", "CLAUDE", "--settings", str(settings), "--write")
    refused = _run(home, "--store", "postgresql://so:s3cret@127.0.0.1:1/team", *args)
    assert refused.exit_code == 2 and "~/.pgpass" in refused.stderr and "s3cret" not in refused.output
    assert settings.read_text() == before
    assert _run(home, "--store", store_url, *args).exit_code == 0
    commands = [
        h["command"]
        for groups in json.loads(settings.read_text())["hooks"].values()
        for group in groups
        for h in group["hooks"]
        if "--sessionoptimizer-hook" in h["command"]
    ]
    assert len(commands) == 7
    for command in commands:
        parts = shlex.split(command)
        assert parts[parts.index("--store") + 1] == store_url
    store = open_store(store_url, Settings.from_env(home))
    assert [(r["kind"], r["action"]) for r in store.list_enablements("CLAUDE")] == [("guard", "enabled")]
    store.close()
