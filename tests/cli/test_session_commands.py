"""start / log / end / delete: the spec's session commands, their JSON output and their bad-input handling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessionoptimizer_sdk.store import Store
from tests._store import store_for


def _store(home: Path) -> Store:
    return store_for(home)


def test_start_prints_only_the_new_session_id(run, home):
    """``start`` prints the id of an ACTIVE session stored with the given agent, task and model."""
    result = run("start", "FORGE", "Plan feature X", "--model", "opus")
    assert result.exit_code == 0
    sid = result.stdout.strip()
    session = _store(home).get_session(sid)
    assert (session.agent, session.task, session.model, session.status.value) == (
        "FORGE",
        "Plan feature X",
        "opus",
        "ACTIVE",
    )


def test_log_records_tokens_and_data_then_end_completes(run, run_json, home):
    """``log`` stores tokens and KEY=VALUE data (JSON-typed values); ``end`` sets the final status."""
    sid = run("start", "ATLAS", "Build").stdout.strip()
    ev = run_json(
        "log", sid, "file_read", "--tokens-input", "2400", "--cache-read", "100",
        "--data", "file_path=large_file.py", "--data", "compressed=true", "--data", "original_tokens=9000",
    )  # fmt: skip
    assert ev["event_type"] == "FILE_READ"
    assert ev["data"] == {"file_path": "large_file.py", "compressed": True, "original_tokens": 9000}
    run("log", sid, "AI_RESPONSE", "--tokens-output", "500", "--data-json", '{"model": "sonnet"}')
    ended = run_json("end", sid, "--status", "failed")
    assert ended["status"] == "FAILED"
    session = _store(home).get_session(sid)
    assert session.event_count == 2
    assert (session.tokens.input_tokens, session.tokens.cache_read_tokens, session.tokens.output_tokens) == (
        2400,
        100,
        500,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["log", "{sid}", "NOT_A_TYPE"], "unknown event type"),
        (["log", "{sid}", "TOOL_CALL", "--tokens-input", "-5"], "must not be negative"),
        (["log", "{sid}", "TOOL_CALL", "--tokens-output", "many"], "not a valid integer"),
        (["log", "{sid}", "TOOL_CALL", "--data-json", "{not json"], "not valid JSON"),
        (["log", "{sid}", "TOOL_CALL", "--data-json", "[1, 2]"], "JSON object"),
        (["log", "{sid}", "TOOL_CALL", "--data", "novalue"], "KEY=VALUE"),
        (["log", "{sid}", "TOOL_CALL", "--data", "a=1", "--data-json", "{}"], "not both"),
        (["log", "no-such-session", "TOOL_CALL"], "no session"),
        (["end", "no-such-session"], "no session"),
        (["end", "{sid}", "--status", "ACTIVE"], "ACTIVE"),
        (["analyze", "no-such-session"], "no session"),
        (["show", "../etc/passwd"], "session id"),
    ],
)
def test_bad_input_prints_one_line_exits_2_and_changes_nothing(run, home, args, fragment):
    """Bad input gives one clear stderr line, exit code 2, no traceback, and leaves the store unchanged."""
    sid = run("start", "BOLT", "Execute").stdout.strip()
    before = _store(home).count_events()
    result = run(*[a.replace("{sid}", sid) for a in args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert _store(home).count_events() == before
    assert _store(home).get_session(sid).status.value == "ACTIVE"


def test_logging_to_an_ended_session_exits_2(run):
    """An ended session refuses new events with exit code 2."""
    sid = run("start", "CLIO", "Deploy").stdout.strip()
    run("end", sid)
    result = run("log", sid, "TOOL_CALL")
    assert result.exit_code == 2
    assert "not active" in result.stderr


def test_delete_asks_for_confirmation_unless_yes(run, home):
    """``delete`` aborts without confirmation (exit 1, session kept) and deletes with --yes."""
    sid = run("start", "NEXUS", "Analyze").stdout.strip()
    refused = run("delete", sid, input="n\n")
    assert refused.exit_code == 1
    assert _store(home).find_session(sid) is not None
    assert run("delete", sid, "--yes").exit_code == 0
    assert _store(home).find_session(sid) is None


def test_start_log_end_across_three_processes(home, tmp_path):
    """A session started by one process can be logged to by a second and ended by a third (issue 2)."""
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home)}
    exe = [sys.executable, "-m", "sessionoptimizer_sdk.cli"]

    def cli(*args: str) -> str:
        done = subprocess.run([*exe, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    sid = cli("start", "FORGE", "Cross-process", "--model", "claude-sonnet-4-5")
    cli("log", sid, "FILE_READ", "--tokens-input", "3000", "--data", "file_path=a.py")
    cli("log", sid, "FILE_READ", "--tokens-input", "3000", "--data", "file_path=a.py")
    cli("end", sid)
    store = _store(home)
    session = store.get_session(sid)
    assert session.status.value == "COMPLETED"
    assert session.event_count == 2
    events = store.get_events(sid)
    assert [e.data["file_path"] for e in events] == ["a.py", "a.py"]
    report = store.get_report(sid)
    assert report is not None, "ending from the CLI runs and stores the analysis"
    assert report["provisional"] is False
