"""Every surface on both backends, run unchanged with ``SESSIONOPTIMIZER_STORE`` set to SQLite and PostgreSQL.

The Python API, CLI, REST API, dashboard, analysis, alerts, importers, and several writer processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk import EventType, SessionOptimizer, SessionStatus
from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.server.runner import serve_in_thread
from tests._paths import FIXTURES
from tests._store import store_for
from tests.server.conftest import seed_history


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_python_api_records_and_analyzes(backend_env: str, home: Path) -> None:
    """A session recorded through the SDK lands whole in the store and its report finds the repeated read."""
    opt = SessionOptimizer(home)
    try:
        assert opt.store.backend == ("postgresql" if backend_env.startswith("postgresql") else "sqlite")

        @opt.tool("pytest")
        def run_tests() -> str:
            return "ok"

        with opt.session("ATLAS", "Build", model="claude-sonnet-4-5") as s:
            for _ in range(3):
                s.log(
                    EventType.FILE_READ,
                    data={"file_path": "big.py", "result_tokens": 3000},
                    tokens_input=3000,
                )
            run_tests()
            s.log(EventType.AI_RESPONSE, tokens_input=500, tokens_output=2000)
        report = opt.analyze(s.id)
        stored = opt.store.get_session(s.id)
        assert stored.status is SessionStatus.COMPLETED
        assert stored.event_count == 5  # 3 reads + 1 tool call + 1 response
        assert stored.tokens.input_tokens == 3 * 3000 + 500
        assert "repeated_file_read" in [i.type.lower() for i in report.issues]
        assert [x.id for x in opt.list_sessions()] == [s.id]
    finally:
        opt.shutdown(timeout=10)


def test_cli_session_lifecycle_and_doctor(backend_env: str, home: Path) -> None:
    """Start / log / end / list / analyze / doctor through the CLI work the same on the selected store."""
    sid = _cli("start", "FORGE", "cli task", "--model", "claude-sonnet-4-5").strip()
    for _ in range(2):
        _cli("log", sid, "FILE_READ", "--tokens-input", "3000", "--data", "file_path=big.py")
    _cli("end", sid)
    listed = json.loads(_cli("list", "--format", "json"))
    assert [(row["id"], row["status"]) for row in listed["sessions"]] == [(sid, "COMPLETED")]
    report = json.loads(_cli("analyze", sid, "--format", "json"))
    assert report["session_id"] == sid
    doctor = json.loads(_cli("doctor", "--format", "json"))
    assert doctor["store"]["events"] == 2 and doctor["store"]["sessions"] == 1
    assert doctor["problems"] == []
    assert "password" not in json.dumps(doctor)
    assert store_for(home).get_session(sid).event_count == 2


def test_rest_api_dashboard_and_alerts(backend_env: str, home: Path) -> None:
    """The REST API and the dashboard serve a seeded week of analyzed sessions with their alerts."""
    ids = seed_history(home, datetime.now(UTC))
    with serve_in_thread(home) as url:
        stats = httpx.get(f"{url}/api/stats/current?hours=168", timeout=10).json()
        sessions = httpx.get(f"{url}/api/sessions?limit=100", timeout=10).json()
        report = httpx.get(f"{url}/api/reports/{ids['FORGE'][-1]}", timeout=10)
        alerts = httpx.get(f"{url}/api/alerts", timeout=10).json()
        trend = httpx.get(f"{url}/api/stats/trend", timeout=10)
        page = httpx.get(f"{url}/", timeout=10)
    assert sessions["total"] == 8  # 5 FORGE + 3 ATLAS written by seed_history
    assert stats["total_sessions"] == 8
    assert (stats["agents"]["FORGE"]["sessions"], stats["agents"]["ATLAS"]["sessions"]) == (5, 3)
    store = store_for(home)
    scores = [(store.get_report(sid) or {})["efficiency_score"] for sid in ids["FORGE"] + ids["ATLAS"]]
    assert stats["average_efficiency"] == pytest.approx(sum(scores) / len(scores), abs=0.06)
    assert report.status_code == 200 and report.json()["session_id"] == ids["FORGE"][-1]
    assert alerts["alerts"], "the re-reading FORGE sessions raise alerts"
    assert trend.status_code == 200
    assert page.status_code == 200 and "FORGE" in page.text


def test_import_is_idempotent(backend_env: str, home: Path) -> None:
    """Importing the same Claude Code transcripts twice stores their events once."""
    sources = sorted((FIXTURES / "claude-code-session-share").rglob("*.jsonl"))[:2]
    if not sources:
        pytest.fail(f"no Claude Code fixtures under {FIXTURES}")
    _cli("import", "claude-code", *map(str, sources))
    store = store_for(home)
    first = store.count_events()
    _cli("import", "claude-code", *map(str, sources))
    assert first > 0 and store.count_events() == first


_WRITER = """
import sys
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
with opt.session(f"AGENT{sys.argv[2]}", "Concurrent writes", model="sonnet") as s:
    for i in range(int(sys.argv[1])):
        s.log(EventType.AI_RESPONSE, tokens_input=1, tokens_output=2)
print(s.id)
"""


def test_three_processes_write_into_one_store(backend_env: str, home: Path) -> None:
    """Three processes writing 2,000 events each into the same store lose none and double none."""
    env = {**os.environ, "SESSIONOPTIMIZER_AUTO_ANALYZE": "0"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, "2000", str(i)], env=env, stdout=subprocess.PIPE, text=True
        )
        for i in range(3)
    ]
    ids = []
    for proc in procs:
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0
        ids.append(out.strip())
    store = store_for(home)
    assert store.count_events() == 6000
    for sid in ids:
        session = store.get_session(sid)
        assert (session.event_count, session.tokens.output_tokens) == (2000, 4000)


def test_cli_store_option_selects_the_store(store_url: str, home: Path) -> None:
    """``--store URL`` on the command line writes into that store, not the default SQLite file in home."""
    from sessionoptimizer_sdk.config import Settings
    from sessionoptimizer_sdk.store import open_store

    sid = _cli("--store", store_url, "start", "CLIO", "flag", "--model", "opus").strip()
    _cli("--store", store_url, "log", sid, "TOOL_CALL", "--tokens-input", "7")
    _cli("--store", store_url, "end", sid)
    chosen = open_store(store_url, Settings.from_env())
    assert chosen.get_session(sid).tokens.input_tokens == 7
    assert not (home / "sessionoptimizer.db").exists()


def test_cli_store_option_selects_the_import_target(store_url: str, home: Path) -> None:
    """``--store URL import`` stores the transcript's events in that store and creates no SQLite file in home."""
    from sessionoptimizer_sdk.config import Settings
    from sessionoptimizer_sdk.store import open_store

    [source] = sorted((FIXTURES / "claude-code-session-share").rglob("*.jsonl"))[:1]
    out = json.loads(_cli("--store", store_url, "import", "claude-code", str(source), "--format", "json"))
    chosen = open_store(store_url, Settings.from_env())
    assert chosen.count_events() > 0 and chosen.count_sessions() >= 1
    assert chosen.count_events() == sum(chosen.count_events(sid) for sid in out["session_ids"])
    assert not (home / "sessionoptimizer.db").exists()
    chosen.close()
