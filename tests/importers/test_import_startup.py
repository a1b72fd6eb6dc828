"""``sessionoptimizer import`` starts without loading what an import never uses (issue 16, import speed)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sessionoptimizer_sdk._internal import plugins
from sessionoptimizer_sdk.errors import InvalidInputError
from sessionoptimizer_sdk.importers import registry

from ._cc_builder import Transcript

PROBE = """
import json, sys
from sessionoptimizer_sdk.cli._app import cli
code = cli.main(["import", "claude-code", "--format", "json", sys.argv[1]], standalone_mode=False)
watched = ("rich.progress", "sessionoptimizer_sdk.importers.codex", "sessionoptimizer_sdk.importers.swe_agent",
           "opentelemetry.sdk.trace", "sessionoptimizer_sdk.optimizer")
print(json.dumps({"code": code, "loaded": sorted(m for m in watched if m in sys.modules)}))
"""


def test_builtin_source_is_found_without_reading_plugin_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """A built-in source resolves even when listing the installed plugins would fail; unknown ones still list all."""

    def no_scan(*, group: str) -> list[object]:
        raise AssertionError(f"entry points of {group} were read")

    monkeypatch.setattr(plugins, "entry_points", no_scan)
    assert registry.get_importer(" Claude-Code ").name == "claude-code"
    assert registry.get_importer("codex").name == "codex"
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    with pytest.raises(InvalidInputError, match="valid sources: claude-code, codex, swe-agent"):
        registry.get_importer("aider")


def test_import_command_loads_no_recorder_progress_bar_or_other_formats(tmp_path: Path) -> None:
    """A non-interactive import loads no recorder (OTel SDK), progress bar or other formats' parsers, and succeeds."""
    t = Transcript()
    t.call("Read", {"file_path": "/work/proj/a.py"}, "print(1)")
    t.call("Bash", {"command": "pytest -q"}, "1 failed", error=True)
    path = t.write(tmp_path / "0a0a0a0a-1111-4222-8333-444444444444.jsonl")
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "loaded": []}
    summary = json.loads(out.stdout[: out.stdout.rindex("\n{")])
    assert (summary["events"], summary["lines"], summary["sessions"]) == (5, 4, 1)  # 2 calls, 1 error event


def test_alert_notifiers_load_without_the_http_client() -> None:
    """Loading the alert notifiers (every import's analysis does) leaves the stdlib HTTP client unloaded."""
    probe = "import sys, sessionoptimizer_sdk.alerts.notifiers; print('urllib.request' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "False"


def test_import_command_reports_as_the_api_does(tmp_path: Path) -> None:
    """``sessionoptimizer import`` stores the same report and report file as ``SessionOptimizer.import_sessions``."""
    from sessionoptimizer_sdk import SessionOptimizer
    from sessionoptimizer_sdk.cli._app import cli

    t = Transcript()
    for i in range(3):  # the same file read three times: a duplicate-read finding
        t.call("Read", {"file_path": "/work/proj/a.py"}, "x = 1\n" * 400, usage={"input_tokens": 100 + i})
    t.call("Bash", {"command": "pytest -q"}, "2 failed", error=True)
    path = t.write(tmp_path / "0b0b0b0b-1111-4222-8333-444444444444.jsonl")
    api = SessionOptimizer(tmp_path / "api")
    api.import_sessions("claude-code", path)
    api.shutdown()
    assert (
        cli.main(["--home", str(tmp_path / "cli"), "import", "claude-code", str(path)], standalone_mode=False)
        == 0
    )

    def report(home: Path) -> dict[str, object]:
        data = json.loads((home / "reports" / f"{path.stem}_report.json").read_text(encoding="utf-8"))
        return {k: v for k, v in data.items() if k not in {"generated_at", "analyzed_at"}}

    def alerts(home: Path) -> list[tuple[object, ...]]:
        with sqlite3.connect(home / "sessionoptimizer.db") as conn:
            return conn.execute("SELECT session_id, rule, priority, message, payload FROM alerts").fetchall()

    ours, theirs = report(tmp_path / "cli"), report(tmp_path / "api")
    assert ours == theirs
    assert (
        ours["total_waste_tokens"] == 1200 and ours["issues"]
    )  # 2 re-reads of 600 tokens: not two empty reports
    assert alerts(tmp_path / "cli") == alerts(tmp_path / "api")
    assert [a[1] for a in alerts(tmp_path / "cli")] == ["low_efficiency"]
