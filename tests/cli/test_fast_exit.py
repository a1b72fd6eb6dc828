"""A finished one-shot ``import`` ends its process without the interpreter's teardown, losing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.importers._cc_builder import Transcript

_SCRIPT = """
import atexit, sys, threading, time

class Teardown:
    def __del__(self):
        print("teardown ran", flush=True)

KEEP = Teardown()  # a module global: its __del__ runs only if the interpreter tears the modules down
atexit.register(lambda: print("exit handler ran", flush=True))
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread finished", flush=True))).start()
from sessionoptimizer_sdk.cli import main
sys.argv = ["sessionoptimizer", "import", "claude-code", *sys.argv[2:]]
main()
"""


def _run(tmp_path: Path, mode: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode, *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _transcript(tmp_path: Path) -> Path:
    t = Transcript()
    t.call("Read", {"file_path": "/work/proj/a.py"}, "x = 1\n")
    return t.write(tmp_path / "sess.jsonl")


def test_import_exits_with_its_output_and_exit_handlers_but_no_teardown(tmp_path: Path) -> None:
    """Exit code 0, the whole summary printed, exit handlers run, stored data and report there; teardown skipped."""
    proc = _run(tmp_path, "plain", _transcript(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "Events written" in proc.stdout and "exit handler ran" in proc.stdout
    assert "teardown ran" not in proc.stdout
    assert (tmp_path / "home" / "reports" / "sess_report.json").is_file()


def test_a_failed_import_keeps_its_exit_code(tmp_path: Path) -> None:
    """Nothing readable: exit code 1 through the same fast ending, its message printed."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    proc = _run(tmp_path, "plain", empty)
    assert proc.returncode == 1
    assert "exit handler ran" in proc.stdout


def test_a_thread_still_running_gets_the_normal_exit(tmp_path: Path) -> None:
    """Another thread alive at the end: the process waits for it as Python always does (no fast ending)."""
    proc = _run(tmp_path, "thread", _transcript(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "thread finished" in proc.stdout and "exit handler ran" in proc.stdout


def test_a_profiled_import_ends_normally_so_the_profile_is_written(tmp_path: Path) -> None:
    """``python -m cProfile -o OUT -m sessionoptimizer_sdk.cli import ...``: the profile file is written at the end."""
    out = tmp_path / "import.prof"
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(tmp_path / "home")}
    cmd = ["-m", "cProfile", "-o", str(out), "-m", "sessionoptimizer_sdk.cli", "import", "claude-code"]
    proc = subprocess.run(
        [sys.executable, *cmd, str(_transcript(tmp_path))],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Events written" in proc.stdout
    assert out.is_file() and out.stat().st_size > 0
