"""``.ci/run`` on a bare machine: a failed install stops the run clearly; missing fixtures are one clear failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests._paths import REPO_ROOT


def _quickstart_tail() -> str:
    """The part of .ci/run from the README's install line to the test command, as the script runs it."""
    lines = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "set +e")
    end = next(i for i, line in enumerate(lines) if line.strip() == "pytest")
    return "\n".join(["set -euo pipefail", *lines[start : end + 1]])


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_failed_install_stops_ci_before_pytest(tmp_path: Path) -> None:
    """When ``pip install`` fails, .ci/run exits with its status and a clear line, and never starts pytest."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "pytest-ran"
    _stub(bin_dir, "pip", "exit 3")
    _stub(bin_dir, "python", "exit 0")
    _stub(bin_dir, "pytest", f"touch {marker}")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", _quickstart_tail()], env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    assert proc.returncode == 3
    assert "install/demo command failed (exit 3)" in proc.stderr
    assert not marker.exists()


def test_successful_install_runs_pytest(tmp_path: Path) -> None:
    """When install and demo succeed, the same lines go on to run pytest."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "pytest-ran"
    for name in ("pip", "python"):
        _stub(bin_dir, name, "exit 0")
    _stub(bin_dir, "pytest", f"touch {marker}")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", _quickstart_tail()], env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert marker.exists()


def test_missing_fixtures_are_one_clear_failure(tmp_path: Path) -> None:
    """Without the shared transcripts pytest stops with one message naming the folder, not collection errors."""
    env = {**os.environ, "SESSIONOPTIMIZER_SHARED": str(tmp_path / "no-shared")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/importers"],
        env=env, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"test fixtures not found at {tmp_path / 'no-shared' / 'fixtures' / 'sessions'}" in output
    assert "ERROR collecting" not in output
