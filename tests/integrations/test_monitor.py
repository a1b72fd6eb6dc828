"""Cron monitoring script: recent inefficient sessions are SynapseLink-alerted once, efficient ones are not."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

from sessionoptimizer_sdk import EventType, SessionOptimizer


def _wasteful(optimizer: SessionOptimizer) -> str:
    s = optimizer.start_session("BOLT", "Execute task", "grok")
    for _ in range(4):
        optimizer.log_event(
            s.id, EventType.FILE_READ, data={"file_path": "big.py", "content_sha256": "a"}, tokens_input=8_000
        )
    for _ in range(3):
        optimizer.log_event(s.id, EventType.TOOL_CALL, data={"tool": "make", "args_sha256": "b"})
        optimizer.log_event(s.id, EventType.ERROR, data={"tool": "make", "message": "Build failed"})
    return optimizer.end_session(s.id).id


def _efficient(optimizer: SessionOptimizer) -> str:
    s = optimizer.start_session("ATLAS", "Build", "sonnet")
    optimizer.log_event(s.id, EventType.AI_RESPONSE, tokens_input=500, tokens_output=300)
    return optimizer.end_session(s.id).id


def test_monitor_alerts_inefficient_sessions_once(
    run_kit: Callable[..., subprocess.CompletedProcess[str]],
    teambrain_calls: Callable[[], list[dict[str, Any]]],
) -> None:
    """One run alerts the wasteful session with the spec's message; a second overlapping run alerts nothing."""
    optimizer = SessionOptimizer()
    bad, good = _wasteful(optimizer), _efficient(optimizer)
    active = optimizer.start_session("CLIO", "still running", detached=True)
    optimizer.shutdown()

    first = run_kit("monitoring/monitor.py", "--json", "--fail-on-alert")
    assert first.returncode == 3, first.stderr
    rows = {r["session_id"]: r for r in map(json.loads, first.stdout.splitlines())}
    assert set(rows) == {bad, good}  # the ACTIVE session is not judged yet
    assert rows[bad]["alert"] and not rows[good]["alert"]
    sends = [c for c in teambrain_calls() if c["function"] == "quick_send"]
    assert [(c["to"], c["subject"], c["priority"]) for c in sends] == [
        ("LOGAN", "Efficiency Alert: BOLT", "HIGH")
    ]
    assert sends[0]["body"].startswith(f"Session: {bad}\nEfficiency: ")

    second = run_kit("monitoring/monitor.py", "--json")
    assert second.returncode == 0 and second.stdout == ""
    assert len([c for c in teambrain_calls() if c["function"] == "quick_send"]) == 1
    assert active.id not in first.stdout


def test_monitor_without_synapselink_prints_the_alert(
    run_kit: Callable[..., subprocess.CompletedProcess[str]], kit_env: dict[str, str]
) -> None:
    """Without SynapseLink installed the alert goes to stderr, and the human summary flags the session."""
    optimizer = SessionOptimizer()
    bad = _wasteful(optimizer)
    optimizer.shutdown()
    env = {**kit_env, "PYTHONPATH": ""}
    out = run_kit("monitoring/monitor.py", "--threshold", "70", env=env)
    assert out.returncode == 0, out.stderr
    assert f"ALERT Efficiency Alert: BOLT | Session: {bad}" in out.stderr
    assert out.stdout.startswith("ALERT BOLT")
