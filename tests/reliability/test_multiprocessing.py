"""multiprocessing children (Process and Pool; fork, forkserver, spawn) lose none of their events."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessionoptimizer_sdk import SessionOptimizer
from tests._paths import REPO_ROOT


def _fan_out(
    home: Path, method: str, kind: str, children: int, events: int, workers: int, analyze: str = "0"
) -> str:
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home), "SESSIONOPTIMIZER_AUTO_ANALYZE": analyze}
    args = [method, kind, str(children), str(events), str(workers)]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability._mp_children", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def _stored(home: Path, session_id: str) -> tuple[int, dict[str, int]]:
    opt = SessionOptimizer(home)
    try:
        return len(opt.get_events(session_id, limit=None)), opt.store.counters()
    finally:
        opt.shutdown()


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
@pytest.mark.parametrize("kind", ["process", "pool"])
def test_children_events_are_all_stored_without_flush(home: Path, method: str, kind: str) -> None:
    """Every event logged by 6 children (no flush in the child) is stored, none counted as dropped."""
    sid = _fan_out(home, method, kind, children=6, events=10, workers=3)
    count, counters = _stored(home, sid)
    assert count == 6 * 10
    assert counters.get("dropped_events", 0) == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["process", "pool"])
def test_fifty_forked_children_store_all_500_events(home: Path, kind: str) -> None:
    """The issue's case: 50 forked children x 10 events (Pool of 8 for the pool variant) store all 500."""
    sid = _fan_out(home, "fork", kind, children=50, events=10, workers=8)
    count, counters = _stored(home, sid)
    assert count == 500
    assert counters.get("dropped_events", 0) == 0


def test_forked_children_with_background_analysis_exit_and_keep_their_events(home: Path) -> None:
    """With live analysis running in the parent, forked children still exit cleanly and store every event."""
    sid = _fan_out(home, "fork", "process", children=6, events=10, workers=1, analyze="1")
    count, counters = _stored(home, sid)
    assert count == 6 * 10
    assert counters.get("dropped_events", 0) == 0
    assert (home / "reports" / f"{sid}_report.json").exists()  # the parent's analysis finished at its exit
