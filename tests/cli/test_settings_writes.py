"""How ``hooks install``, ``advise --apply`` and ``connect`` write the user's files.

Through symlinks, private from the first byte when they hold a token, never overwriting a backup, and never ahead
of the store's record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.store import _connection

_ORIGINAL = {"model": "opus", "permissions": {"allow": ["Bash(ls:*)"]}}
_SERVER = ("--server", "https://team.example:8765", "--agent", "FORGE", "--token", "tok_SECRET123")


def _cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)


def _install(home: Path, settings: Path, *extra: str) -> Result:
    return _cli(home, "hooks", "install", "--agent", "T", "--settings", str(settings), "--write", *extra)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def dotfiles(tmp_path: Path) -> tuple[Path, Path]:
    """A private settings.json kept in a dotfiles folder, and the project's symlink to it."""
    target = tmp_path / "dotfiles" / "settings.json"
    target.parent.mkdir()
    target.write_text(json.dumps(_ORIGINAL, indent=4))
    target.chmod(0o600)
    link = tmp_path / "proj" / ".claude" / "settings.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    return link, target


def test_hooks_install_and_uninstall_write_through_a_symlinked_settings_file(
    home: Path, dotfiles: tuple[Path, Path]
) -> None:
    """The link stays a link; its private target gets our hooks, keeps 0600, and uninstall restores it."""
    link, target = dotfiles
    assert _install(home, link).exit_code == 0
    assert link.is_symlink() and link.resolve() == target
    assert "--sessionoptimizer-hook" in target.read_text() and _mode(target) == 0o600
    assert _cli(home, "hooks", "uninstall", "--settings", str(link), "--write").exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text()) == _ORIGINAL


def test_advise_apply_writes_through_a_symlinked_claude_md(home: Path, tmp_path: Path) -> None:
    """``advise --apply L.md --write`` on a link updates the linked file and leaves the link in place."""
    target = tmp_path / "shared" / "CLAUDE.md"
    target.parent.mkdir()
    target.write_text("# shared\n")
    target.chmod(0o640)
    link = tmp_path / "L.md"
    link.symlink_to(target)
    assert _cli(home, "advise", "CLAUDE", "--apply", str(link), "--write").exit_code == 0
    assert link.is_symlink() and _mode(target) == 0o640
    text = target.read_text()
    assert text.startswith("# shared\n") and "<!-- sessionoptimizer:guidance:begin -->" in text


def test_connect_writes_the_token_through_a_symlink_into_a_private_file(
    home: Path, dotfiles: tuple[Path, Path]
) -> None:
    """``connect --write`` on a linked settings.json puts the token in the target (0600), not beside the link."""
    link, target = dotfiles
    target.chmod(0o644)
    result = _cli(home, "connect", "claude-code", *_SERVER, "--write", "--settings-file", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and _mode(target) == 0o600
    env = json.loads(target.read_text())["env"]
    assert env["OTEL_EXPORTER_OTLP_HEADERS"] == "Authorization=Bearer tok_SECRET123"


def _stamps(seconds: int, fmt: str = "%Y%m%dT%H%M%S") -> list[str]:
    """The backup time stamps of the next ``seconds`` seconds (and the last one)."""
    now = time.time()
    return [time.strftime(fmt, time.localtime(now + d)) for d in range(-1, seconds)]


def test_hooks_install_never_overwrites_an_earlier_backup(home: Path, tmp_path: Path) -> None:
    """Backups already named for this second (and the next few) stay intact; the original gets its own."""
    settings = tmp_path / "settings.json"
    settings.write_text('{"model": "ORIGINAL"}')
    decoys = [tmp_path / f"settings.json.sessionoptimizer-{s}.bak" for s in _stamps(4)]
    for decoy in decoys:
        decoy.write_text("EARLIER BACKUP")
    assert _install(home, settings).exit_code == 0
    assert all(decoy.read_text() == "EARLIER BACKUP" for decoy in decoys)
    new = set(tmp_path.glob("settings.json.sessionoptimizer-*.bak")) - set(decoys)
    assert [json.loads(p.read_text()) for p in new] == [{"model": "ORIGINAL"}]


def test_connect_never_overwrites_an_earlier_backup(home: Path, tmp_path: Path) -> None:
    """``connect --write`` keeps every earlier backup and backs the current file up under a new name."""
    settings = tmp_path / "settings.json"
    settings.write_text('{"model": "ORIGINAL"}')
    decoys = [tmp_path / f"settings.json.bak-{s}" for s in _stamps(4, "%Y%m%d%H%M%S")]
    for decoy in decoys:
        decoy.write_text("EARLIER BACKUP")
    result = _cli(home, "connect", "claude-code", *_SERVER, "--write", "--settings-file", str(settings))
    assert result.exit_code == 0, result.output
    assert all(decoy.read_text() == "EARLIER BACKUP" for decoy in decoys)
    new = set(tmp_path.glob("settings.json.bak-*")) - set(decoys)
    assert [json.loads(p.read_text()) for p in new] == [{"model": "ORIGINAL"}]


@pytest.fixture
def umask() -> Iterator[None]:
    """Restores the process umask a test changes."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize("mask", [0o077, 0o022])
def test_new_settings_file_follows_the_umask(home: Path, tmp_path: Path, mask: int) -> None:
    """A settings.json the install creates has the mode the umask gives any new file (0600 under 077)."""
    os.umask(mask)
    settings = tmp_path / "new" / ".claude" / "settings.json"
    assert _install(home, settings).exit_code == 0
    assert _mode(settings) == 0o666 & ~mask


def test_connect_never_creates_a_readable_file_holding_the_token(tmp_path: Path) -> None:
    """Every file ``connect --write`` creates beside settings.json is created 0600 (seen with strace)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    folder = tmp_path / "claude"
    folder.mkdir()
    (folder / "settings.json").write_text('{"model": "opus"}')  # so a backup is made too
    trace = tmp_path / "trace.txt"
    command = [sys.executable, "-m", "sessionoptimizer_sdk.cli", "--home", str(tmp_path / "h"), "connect"]
    command += ["claude-code", *_SERVER, "--write", "--settings-file", str(folder / "settings.json")]
    done = subprocess.run(
        [strace, "-f", "-qq", "-e", "trace=open,openat,creat", "-o", str(trace), *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip("ptrace is not permitted here")
    assert done.returncode == 0, done.stderr
    lines = trace.read_text().splitlines()
    modes = [re.findall(r"O_CREAT[^,]*, (0\d+)\)", line) for line in lines if str(folder) in line]
    created = [found[0] for found in modes if found]
    assert len(created) == 2 and set(created) == {"0600"}  # the backup and the new settings.json


@pytest.fixture
def locked_store(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite3.Connection]:
    """The home's store held by another writer (``BEGIN EXCLUSIVE``); the CLI waits 0.2 s, not 30 s, for it."""
    assert _cli(home, "list").exit_code == 0  # creates the store
    monkeypatch.setattr(_connection, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(home / "sessionoptimizer.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    other.close()


def _guard_records(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "sessionoptimizer.db") as db:
        return db.execute("SELECT agent, kind, action FROM enablements ORDER BY id").fetchall()


def test_install_on_a_locked_store_changes_nothing_and_a_rerun_does_both(
    home: Path, tmp_path: Path, locked_store: sqlite3.Connection
) -> None:
    """A locked store fails the install before settings.json changes; the re-run writes it and records once."""
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(_ORIGINAL))
    failed = _install(home, settings)
    assert failed.exit_code == 1 and "database is locked" in failed.stderr
    assert json.loads(settings.read_text()) == _ORIGINAL
    locked_store.rollback()
    assert _install(home, settings).exit_code == 0
    assert "--sessionoptimizer-hook" in settings.read_text()
    assert _guard_records(home) == [("T", "guard", "enabled")]


def test_rerun_records_a_missing_enablement_when_hooks_are_already_installed(
    home: Path, tmp_path: Path
) -> None:
    """Settings that already hold our hooks but no enablement: the re-run records it (once)."""
    settings = tmp_path / "settings.json"
    assert _install(home, settings).exit_code == 0
    with sqlite3.connect(home / "sessionoptimizer.db") as db:
        db.execute("DELETE FROM enablements")  # as if the record had failed after the write
    assert "nothing to change" in _install(home, settings).stdout
    assert _install(home, settings).exit_code == 0
    assert _guard_records(home) == [("T", "guard", "enabled")]


def test_advise_on_a_locked_store_leaves_the_file_and_a_rerun_does_both(
    home: Path, tmp_path: Path, locked_store: sqlite3.Connection
) -> None:
    """``advise --apply --write`` on a locked store leaves CLAUDE.md as it was; the re-run writes and records."""
    claude_md = tmp_path / "CLAUDE.md"
    claude_md.write_text("# mine\n")
    failed = _cli(home, "advise", "CLAUDE", "--apply", str(claude_md), "--write")
    assert failed.exit_code == 1 and "database is locked" in failed.stderr
    assert claude_md.read_text() == "# mine\n"
    locked_store.rollback()
    assert _cli(home, "advise", "CLAUDE", "--apply", str(claude_md), "--write").exit_code == 0
    assert "sessionoptimizer:guidance:begin" in claude_md.read_text()
    assert _guard_records(home) == [("CLAUDE", "guidance", "enabled")]
