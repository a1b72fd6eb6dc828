"""SQLite durability: the store file deleted or replaced under a running process; commits surviving an FS abort.

Real files, and a real ext4 filesystem on a loop device (root only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk import EventType, Session, SessionOptimizer, SessionStatus
from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.store import SQLiteStore


def _remove_store(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def test_deleted_store_file_is_recreated_and_reported(home: Path) -> None:
    """Events recorded after the store file is deleted land in a new file, and doctor reports the deletion."""
    opt = SessionOptimizer(home)
    db = opt.settings.db_path
    try:
        first = opt.start_session("FORGE", "before cleanup", "opus")
        opt.log_event(first.id, EventType.TOOL_CALL, tokens_input=1)
        assert opt.flush()
        _remove_store(db)  # a user cleaning up ~/.sessionoptimizer
        later = opt.start_session("FORGE", "after cleanup", "opus")
        for _ in range(5):
            opt.log_event(later.id, EventType.TOOL_CALL, tokens_input=2)
        assert opt.flush()
    finally:
        opt.shutdown(timeout=10)
    fresh = SQLiteStore(db)  # what any other process now sees at the path
    assert fresh.get_session(later.id).event_count == 5
    assert fresh.counters()["store_file_replaced"] == 1
    result = CliRunner().invoke(cli, ["doctor", "--format", "json"], catch_exceptions=False)
    problems = json.loads(result.stdout)["problems"]
    assert any("deleted or replaced 1 time" in p for p in problems)


def test_replaced_store_file_receives_later_events(home: Path, tmp_path: Path) -> None:
    """After a restore moves another store file over the path, later events are written into that file."""
    backup = tmp_path / "backup.db"
    SQLiteStore(backup).close()
    opt = SessionOptimizer(home)
    db = opt.settings.db_path
    try:
        session = opt.start_session("ATLAS", "restore", "opus")
        assert opt.flush()
        shutil.copy(backup, f"{db}.restore")
        Path(f"{db}-wal").unlink(missing_ok=True)
        Path(f"{db}-shm").unlink(missing_ok=True)
        os.replace(f"{db}.restore", db)  # an atomic restore, as backup tools do
        opt.log_event(session.id, EventType.TOOL_CALL, tokens_input=3)
        assert opt.flush()
    finally:
        opt.shutdown(timeout=10)
    restored = SQLiteStore(db)
    assert restored.count_events() == 1 and restored.counters()["store_file_replaced"] == 1


_WRITER = """
import os, sys
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
s = opt.start_session("BOLT", "durable", "grok")
for i in range(300):
    opt.log_event(s.id, EventType.TOOL_CALL, tokens_input=1)
ok = opt.flush(timeout=30)
with open(sys.argv[1], "w") as fh:  # the filesystem aborts right after flush() said the batch is stored
    fh.write("flush abort")
print(ok, s.id, flush=True)
os._exit(0)
"""


@pytest.fixture
def ext4_loop(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A fresh ext4 filesystem on a loop device, mounted with errors=remount-ro; yields (mount, image)."""
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        pytest.skip("needs root and mkfs.ext4 to mount an ext4 loop device")
    image, mount = tmp_path / "fs.img", tmp_path / "mnt"
    mount.mkdir()
    with open(image, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    if subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(image), str(mount)]).returncode != 0:
        pytest.skip("cannot mount a loop device here")
    try:
        yield mount, image
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)  # still busy: detach it anyway


def test_flushed_events_survive_a_filesystem_abort(ext4_loop: tuple[Path, Path]) -> None:
    """Once flush() returns True the events are on disk: an ext4 abort right after loses none of them."""
    mount, image = ext4_loop
    source = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(mount)], capture_output=True, text=True)
    trigger = Path("/sys/fs/ext4") / Path(source.stdout.strip()).name / "trigger_fs_error"
    if not trigger.exists():
        pytest.skip("this kernel has no ext4 trigger_fs_error")
    home = mount / "so-home"
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home), "SESSIONOPTIMIZER_AUTO_ANALYZE": "0"}
    out = subprocess.run(
        [sys.executable, "-c", _WRITER, str(trigger)], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    ok, sid = out.stdout.split()
    assert ok == "True"
    subprocess.run(["umount", str(mount)], check=True)
    subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(image), str(mount)], check=True)
    store = SQLiteStore(home / "sessionoptimizer.db")
    try:
        assert store.get_session(sid).event_count == 300
    finally:
        store.close()


def test_a_store_whose_folder_is_deleted_again_and_again_is_recreated_with_its_schema(tmp_path: Path) -> None:
    """The whole store folder deleted under an open store: the next call recreates the file with its tables.

    The recreated file may get the deleted one's inode number back, so "same inode" must not mean "same file".
    """
    home = tmp_path / "home"
    store = SQLiteStore(home / "so.db")
    try:
        for i in range(10):
            store.create_session(
                Session(f"s{i}", "FORGE", "t", "opus", SessionStatus.ACTIVE, datetime.now(UTC))
            )
            shutil.rmtree(home)  # a user cleaning up while `monitor` runs
            assert store.count_sessions() == 0  # a new, empty store: its tables exist
        assert store.counters()["store_file_replaced"] == 1  # the last recreation, counted in the new file
    finally:
        store.close()
