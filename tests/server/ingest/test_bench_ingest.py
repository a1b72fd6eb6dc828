"""The ingest benchmark's own accounting: a short run counts every sent event once and finds none lost or doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_ingest.py"


def test_short_replay_run_accounts_for_every_event():
    """2,000 captured SDK events (one real agent, one session) + 2,000 Claude Code events: 4,000, 0 lost/doubled."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("SESSIONOPTIMIZER_STRICT", None)  # the benchmark's processes run as users run them
    args = ["--events", "4000", "--stores", "sqlite", "--scenarios", "replay", "--replayers", "2"]
    done = subprocess.run(
        [sys.executable, str(BENCH), *args, "--capture-agents", "1", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=True,
    )
    out = done.stdout
    results = json.loads(out[out.index("\n{") :])
    replay = results["replay-sqlite"]
    assert (
        replay["events"] == 2_000 + 2 * 1_000
    )  # one SDK session of 2,000 + two Claude Code agents' 1,000 each
    assert (replay["lost"], replay["doubled"]) == (0, 0)
    assert replay["accepted_per_s"] > 0
    assert 0 < replay["cpu_s_per_1000"] < 10
    assert "captured SDK requests (2,000 events)" in out  # all 2,000 event spans of the real agent captured
