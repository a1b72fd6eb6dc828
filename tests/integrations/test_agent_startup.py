"""Agent start-up wrappers: each of the five agents' scripts records a session around a real command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk import EventType, SessionOptimizer, SessionStatus

KITS = Path(__file__).resolve().parents[2] / "integrations"
EXPECTED = {  # agent -> (model recorded by default, event types the spec's pattern logs)
    "FORGE": ("opus", [EventType.THINKING, EventType.AI_RESPONSE]),
    "ATLAS": ("sonnet", [EventType.FILE_READ, EventType.TOOL_CALL]),
    "BOLT": ("grok", [EventType.ERROR]),
    "CLIO": ("sonnet", [EventType.FILE_WRITE]),
    "NEXUS": ("sonnet", [EventType.TOOL_CALL, EventType.AI_RESPONSE]),
}


@pytest.mark.parametrize("agent", sorted(EXPECTED))
def test_wrapper_records_the_agents_session_and_reports_its_health(
    agent: str,
    run_kit: Callable[..., subprocess.CompletedProcess[str]],
    teambrain_calls: Callable[[], list[dict[str, Any]]],
) -> None:
    """The wrapper starts a session with the agent's model, the command logs into it, and it ends analysed."""
    patterns = str(KITS / "agents" / "patterns.py")
    done = run_kit(f"agents/{agent.lower()}.py", "Nightly task", "--", sys.executable, patterns)
    assert done.returncode == 0, done.stderr
    optimizer = SessionOptimizer()
    (session,) = optimizer.list_sessions(agent=agent)
    model, types = EXPECTED[agent]
    assert (session.task, session.model, session.status) == ("Nightly task", model, SessionStatus.COMPLETED)
    assert [e.event_type for e in optimizer.get_events(session.id)] == types
    assert f"[{agent}] efficiency" in done.stderr
    health = [c for c in teambrain_calls() if c["function"] == "report_session_health"]
    assert [(c["agent"], c["session_id"]) for c in health] == [(agent, session.id)]
    optimizer.shutdown()


def test_failing_command_ends_the_session_failed_and_keeps_the_exit_code(
    run_kit: Callable[..., subprocess.CompletedProcess[str]], kit_env: dict[str, str]
) -> None:
    """A command exiting non-zero ends the session FAILED and the wrapper exits with the same code."""
    env = {**kit_env, "PATTERNS_EXIT_CODE": "4"}
    patterns = str(KITS / "agents" / "patterns.py")
    done = run_kit(
        "agents/bolt.py", "Execute task", "--model", "grok-2", "--", sys.executable, patterns, env=env
    )
    assert done.returncode == 4
    optimizer = SessionOptimizer()
    (session,) = optimizer.list_sessions(agent="BOLT")
    assert (session.status, session.model) == (SessionStatus.FAILED, "grok-2")
    optimizer.shutdown()


def test_missing_command_is_a_usage_error(run_kit: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """Without a command after ``--`` the wrapper explains itself and records nothing."""
    done = run_kit("agents/clio.py", "Deploy")
    assert done.returncode == 2 and "command" in done.stderr
    optimizer = SessionOptimizer()
    assert optimizer.list_sessions() == []
    optimizer.shutdown()
