"""Start-up wrapper shared by the five Team Brain agents: one recorded session around the agent's command.

    python integrations/agents/forge.py "Plan feature X" -- <agent command ...>

starts a session (the agent's model by default), runs the command with ``SESSIONOPTIMIZER_SESSION_ID`` and
``SESSIONOPTIMIZER_HOME`` set so anything it runs can log into the session (``sessionoptimizer log
$SESSIONOPTIMIZER_SESSION_ID FILE_READ ...`` or the Python API), ends the session COMPLETED or FAILED from the exit
code, and prints the analysis. Team Brain tools that are installed are used automatically: TokenTracker usage
is synced, SynapseLink receives alerts, AgentHealth receives the session's health. Uses only the public API.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sessionoptimizer_sdk import AdapterUnavailable, SessionOptimizer, SessionStatus
from sessionoptimizer_sdk.adapters import AgentHealthReporter, SynapseLinkNotifier, TokenTrackerAdapter


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """How one agent is set up: its model, the efficiency it should keep, and the advice when it does not."""

    name: str
    model: str
    min_efficiency: float
    advice: str


PROFILES = {
    p.name: p
    for p in (
        AgentProfile(
            "FORGE", "opus", 80.0, "Adjust the planning approach: shorter specs, fewer review passes."
        ),
        AgentProfile(
            "ATLAS", "sonnet", 80.0, "Compress large files with ContextCompressor; avoid re-reading files."
        ),
        AgentProfile(
            "BOLT", "grok", 75.0, "Check retry strategies: repeated failing attempts dominate the waste."
        ),
        AgentProfile("CLIO", "sonnet", 80.0, "Batch file operations; read only the lines you need."),
        AgentProfile(
            "NEXUS", "sonnet", 80.0, "Split long-running analyses; reuse earlier results instead of redoing."
        ),
    )
}


def _optional(factory: Any, optimizer: SessionOptimizer, **options: Any) -> Any:
    """An adapter if its Team Brain tool is importable, else None (the wrapper works without any of them)."""
    try:
        return factory(optimizer, **options)
    except AdapterUnavailable:
        return None


def run(profile: AgentProfile, task: str, command: Sequence[str], *, model: str | None = None) -> int:
    """Record one session around ``command``; return the command's exit code."""
    optimizer = SessionOptimizer()
    tracker = _optional(TokenTrackerAdapter, optimizer)
    notifier = _optional(SynapseLinkNotifier, optimizer)
    if notifier is not None:
        optimizer.add_notifier(notifier)
    _optional(AgentHealthReporter, optimizer)
    session = optimizer.start_session(profile.name, task, model or profile.model)
    print(f"[{profile.name}] session {session.id}", file=sys.stderr)
    env = {
        **os.environ,
        "SESSIONOPTIMIZER_SESSION_ID": session.id,
        "SESSIONOPTIMIZER_HOME": str(optimizer.settings.home),
    }
    try:
        code = subprocess.call(list(command), env=env)
    except OSError as exc:
        print(f"[{profile.name}] cannot run {command[0]!r}: {exc}", file=sys.stderr)
        code = 127
    if tracker is not None:
        tracker.sync(session.id)
    optimizer.end_session(session.id, SessionStatus.COMPLETED if code == 0 else SessionStatus.FAILED)
    report = optimizer.analyze(session.id)
    top = report.issues[0].description if report.issues else "None"
    print(
        f"[{profile.name}] efficiency {report.efficiency_score:.1f}% | waste {report.total_waste_tokens:,} tokens"
        f" | issues {len(report.issues)} | top issue: {top}",
        file=sys.stderr,
    )
    if report.efficiency_score < profile.min_efficiency:
        print(f"[{profile.name}] below {profile.min_efficiency:.0f}%: {profile.advice}", file=sys.stderr)
    optimizer.shutdown(timeout=30)  # delivers pending alerts and health reports before exit
    return code


def main(agent: str, argv: Sequence[str] | None = None) -> int:
    """Command line of an agent's start-up script."""
    profile = PROFILES[agent]
    parser = argparse.ArgumentParser(
        prog=f"{agent.lower()}.py",
        description=f"Run {agent} with a SessionOptimizer session around it.",
        usage=f"{agent.lower()}.py [-h] [--model MODEL] task -- command [args ...]",
    )
    parser.add_argument("task", help="what the agent works on (the session's task)")
    parser.add_argument("--model", help=f"model to record (default {profile.model})")
    raw = list(sys.argv[1:] if argv is None else argv)
    split = raw.index("--") if "--" in raw else len(raw)
    args = parser.parse_args(raw[:split])
    command = raw[split + 1 :]
    if not command:
        parser.error("give the agent's command after --, e.g. -- python my_agent.py")
    return run(profile, args.task, command, model=args.model)
