"""BCH terminal client: renders the spec's three panels from a real ``sessionoptimizer serve`` subprocess."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sessionoptimizer_sdk import EventType, SessionOptimizer

CLI = Path(sys.executable).with_name("sessionoptimizer")


@pytest.fixture
def server(kit_env: dict[str, str]) -> Iterator[str]:
    """Base URL of ``sessionoptimizer serve --port 0`` running on the test's store."""
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", "0"],
        env=kit_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        url = match.group(0) if match else None
    assert url, "the server printed no URL"
    yield url
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


def test_once_renders_efficiency_active_and_trend_panels(
    server: str, run_kit: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """Agents with their sessions, the team total, each live session and the trend appear in the output."""
    optimizer = SessionOptimizer()
    for agent, task in (("FORGE", "Plan feature X"), ("ATLAS", "Build SessionOptimizer")):
        done = optimizer.start_session(agent, task, "opus")
        optimizer.log_event(done.id, EventType.AI_RESPONSE, tokens_input=100, tokens_output=400)
        optimizer.end_session(done.id)
    live = optimizer.start_session("BOLT", "Run test suite", "grok", detached=True)
    optimizer.log_event(live.id, EventType.AI_RESPONSE, tokens_input=2_000, tokens_output=1_200)
    optimizer.flush()
    out = run_kit("bch/bch_client.py", "--url", server, "--once", "--width", "100")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert (
        "SESSION EFFICIENCY (Last 24 Hours)" in text and "ACTIVE SESSIONS" in text and "Efficiency %" in text
    )
    assert re.search(r"FORGE\s+│\s+1\s+│\s+100\.0%", text)
    assert "TEAM TOTAL: 3 sessions" in text
    assert "[BOLT] Run test suite" in text and "Tokens: 3,200" in text
    assert "[FORGE]" not in text  # ended sessions are not live
    optimizer.end_session(live.id)
    optimizer.shutdown()


def test_unreachable_api_is_one_clear_line_and_exit_1(
    run_kit: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """Pointing the client at a closed port prints one line naming the URL, no traceback."""
    out = run_kit("bch/bch_client.py", "--url", "http://127.0.0.1:9", "--once")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "http://127.0.0.1:9" in out.stderr
    assert "Traceback" not in out.stderr
