"""list / show / analyze / export / stats / compare / monitor / doctor on a real store."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionoptimizer_sdk.cli._common import parse_when
from tests._store import store_for


def _session(run, agent: str, task: str, rereads: int = 0, end: bool = True) -> str:
    sid = run("start", agent, task, "--model", "claude-sonnet-4-5").stdout.strip()
    for _ in range(1 + rereads):
        run("log", sid, "FILE_READ", "--tokens-input", "3000", "--data", "file_path=big.py")
    run("log", sid, "AI_RESPONSE", "--tokens-input", "500", "--tokens-output", "400")
    if end:
        run("end", sid)
    return str(sid)


def test_list_filters_by_agent_status_and_limit(run, run_json):
    """``list`` shows newest first and honours --agent, --status and --limit."""
    a = _session(run, "FORGE", "one")
    b = _session(run, "ATLAS", "two", end=False)
    c = _session(run, "FORGE", "three")
    assert [s["id"] for s in run_json("list")["sessions"]] == [c, b, a]
    assert [s["id"] for s in run_json("list", "--agent", "FORGE")["sessions"]] == [c, a]
    assert [s["id"] for s in run_json("list", "--status", "active")["sessions"]] == [b]
    assert len(run_json("list", "--limit", "1")["sessions"]) == 1
    assert run_json("list", "--since", "1h")["sessions"]
    human = run("list")
    assert human.exit_code == 0
    assert "FORGE" in human.stdout
    assert c in human.stdout


def test_list_shows_stored_efficiency(run_json, run):
    """Ended sessions list their stored efficiency score."""
    sid = _session(run, "BOLT", "scored", rereads=2)
    row = run_json("list")["sessions"][0]
    assert row["id"] == sid
    assert 0 <= row["efficiency_score"] < 100


def test_show_prints_the_events_timeline(run, run_json):
    """``show`` lists the session's events in time order with their tokens."""
    sid = _session(run, "CLIO", "timeline", rereads=1)
    body = run_json("show", sid)
    assert [e["event_type"] for e in body["events"]] == ["FILE_READ", "FILE_READ", "AI_RESPONSE"]
    assert body["session"]["id"] == sid
    human = run("show", sid)
    assert "big.py" in human.stdout
    assert "AI_RESPONSE" in human.stdout


def test_analyze_formats_agree_on_the_score(run, run_json):
    """``analyze`` in json, markdown, html and text reports the same efficiency score and the re-read."""
    sid = _session(run, "ATLAS", "waste", rereads=2)
    report = run_json("analyze", sid)
    score = f"{report['efficiency_score']:.1f}"
    assert any(i["type"] == "repeated_file_read" for i in report["issues"])
    for fmt in ("markdown", "html", "text"):
        out = run("analyze", sid, "--format", fmt)
        assert out.exit_code == 0
        assert score in out.stdout, fmt
    assert run("analyze", sid, "--format", "pdf").exit_code == 2


def test_export_writes_a_private_file(run, tmp_path):
    """``export --output`` writes the report to a 0600 file and prints nothing on stdout."""
    sid = _session(run, "NEXUS", "export")
    target = tmp_path / "out" / "r.md"
    target.parent.mkdir()
    result = run("export", sid, "--format", "markdown", "--output", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert sid in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    as_json = json.loads(run("export", sid).stdout)
    assert as_json["session_id"] == sid


def test_stats_and_compare(run, run_json):
    """``stats`` counts the agent's analyzed sessions; ``compare`` ranks sessions and needs two ids."""
    good = _session(run, "FORGE", "clean")
    bad = _session(run, "FORGE", "rereads", rereads=3)
    stats = run_json("stats", "FORGE", "--days", "7")
    assert stats["agent"] == "FORGE"
    assert stats["sessions_analyzed"] == 2
    assert stats["trends"]["direction"] in {"improving", "declining", "stable"}
    cmp = run_json("compare", good, bad)
    assert cmp["best"] == good
    assert cmp["worst"] == bad
    assert run("compare", good).exit_code == 2


def test_monitor_analyzes_unreported_sessions_and_raises_alerts(run, run_json, home, monkeypatch):
    """``monitor --once`` stores reports for ended sessions that lack one and raises their alerts once."""
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
    sid = _session(run, "BOLT", "unanalyzed", rereads=3)
    store = store_for(home)
    assert store.get_report(sid) is None
    first = run_json("monitor", "--once")
    assert [r["session_id"] for r in first["analyzed"]] == [sid]
    assert store.get_report(sid) is not None
    assert any(a["session_id"] == sid for a in first["alerts"])
    second = run_json("monitor", "--once")
    assert second == {"analyzed": [], "alerts": []}


def test_doctor_reports_store_modes_and_pricing(run_json, run, home):
    """``doctor`` reports the store path, schema version, private file modes and pricing data."""
    _session(run, "FORGE", "doc")
    body = run_json("doctor")
    assert body["store"]["path"] == str(home / "sessionoptimizer.db")
    assert body["store"]["schema_version"] >= 1
    assert body["store"]["folder_mode"] == "0o700"
    assert body["problems"] == []
    assert body["pricing"]["genai_prices"]
    assert run("doctor").exit_code == 0


def test_help_version_and_unknown_command_exit_codes(run):
    """--help and --version exit 0; an unknown command is a usage error (exit 2, one line)."""
    assert run("--help").exit_code == 0
    assert run("--version").exit_code == 0
    bad = run("frobnicate")
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from("smhdw"))
def test_parse_when_relative_values_go_back_in_time(amount, unit):
    """``30m``/``24h``/``7d`` style values are that long before now."""
    now = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert parse_when(f"{amount}{unit}", now=now) == now - timedelta(seconds=amount * seconds)


@given(st.text(max_size=12).filter(lambda s: not s.strip()[:1].isdigit()))
def test_parse_when_rejects_garbage_with_input_error(text):
    """Unreadable times raise InvalidInputError (exit code 2), never another exception."""
    from sessionoptimizer_sdk.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        parse_when(text)


def test_doctor_names_each_cause_of_undelivered_alerts(run_json, run, home):
    """Counted alert delivery failures (a redirect, alerts left at exit) each get a doctor problem line."""
    _session(run, "FORGE", "doc")
    store = store_for(home)
    store.add_counter("alerts_undelivered_redirect", 2)
    store.add_counter("alerts_undelivered_dropped_at_exit", 3)
    problems = run_json("doctor")["problems"]
    assert "2 alert delivery(ies) failed: redirect" in problems
    assert "3 alert delivery(ies) failed: dropped at exit" in problems
