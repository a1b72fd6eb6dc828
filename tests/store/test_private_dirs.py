"""Every folder the SDK creates is private (0700), the missing parents too, whatever the process's umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

_RECORD = """
import os, sys
os.umask(0)
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer(sys.argv[1])
with opt.session("ATLAS", "umask 000", model="sonnet") as s:
    s.log(EventType.AI_RESPONSE, tokens_output=3)
opt.shutdown()
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_and_report_folders_and_their_new_parents_are_0700_under_umask_000(tmp_path: Path) -> None:
    """With umask 000, a home three folders deep gets 0700 at every new level, and its files stay 0600."""
    home = tmp_path / "a" / "b" / "home"
    env = {**os.environ, "SESSIONOPTIMIZER_STRICT": "0"}
    os.chmod(tmp_path, 0o751)
    proc = subprocess.run(
        [sys.executable, "-c", _RECORD, str(home)], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    for folder in (tmp_path / "a", tmp_path / "a" / "b", home, home / "reports"):
        assert _mode(folder) == 0o700, folder
    assert _mode(tmp_path) == 0o751  # a folder that already existed is left as it was
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files and all(_mode(p) == 0o600 for p in files), [(p.name, oct(_mode(p))) for p in files]
