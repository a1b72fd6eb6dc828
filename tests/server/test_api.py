"""The REST API against a real server and a seeded store: the spec's four endpoints and the extras."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sessionoptimizer_sdk import SessionOptimizer
from tests._store import store_for


def _get(url: str, path: str, **kw: object) -> httpx.Response:
    return httpx.get(url + path, timeout=10, **kw)  # type: ignore[arg-type]


def _reports(seeded, ids):
    store = store_for(seeded.home)
    return {sid: store.get_report(sid) for sid in ids}


def test_stats_current_matches_stored_reports_of_last_24_hours(seeded):
    """/api/stats/current counts the sessions of the last 24 h per agent and averages their stored scores."""
    body = _get(seeded.url, "/api/stats/current").json()
    store = store_for(seeded.home)
    since = datetime.now(UTC) - timedelta(hours=24)
    recent = [s for s in store.list_sessions(since=since, limit=None)]
    assert body["total_sessions"] == len(recent)
    assert set(body["agents"]) == {s.agent for s in recent}
    reports = [store.get_report(s.id) or {} for s in recent]
    scores = [r["efficiency_score"] for r in reports]
    assert body["average_efficiency"] == pytest.approx(statistics.mean(scores), abs=0.06)
    waste = sum(r["total_waste_tokens"] for r in reports)
    assert body["total_waste_tokens"] == waste
    assert body["window_hours"] == 24


def test_stats_current_window_is_selectable(seeded):
    """A wider ``hours`` window includes the older seeded sessions."""
    body = _get(seeded.url, "/api/stats/current", params={"hours": 24 * 7}).json()
    assert body["total_sessions"] == sum(len(v) for v in seeded.ids.values())
    assert body["agents"]["FORGE"]["sessions"] == len(seeded.ids["FORGE"])


def test_agent_stats_reports_trend_direction_and_change(seeded):
    """FORGE's seeded sessions stop re-reading files mid-week, so its trend is improving with a positive change."""
    body = _get(seeded.url, "/api/stats/agent/FORGE", params={"days": 7}).json()
    assert body["agent"] == "FORGE"
    assert body["sessions_analyzed"] == len(seeded.ids["FORGE"])
    scores = [r["efficiency_score"] for r in _reports(seeded, seeded.ids["FORGE"]).values()]
    assert body["average_efficiency"] == pytest.approx(statistics.mean(scores), abs=0.06)
    assert body["trends"]["direction"] == "improving"
    assert body["trends"]["change"] > 0


def test_agent_stats_of_unknown_agent_is_empty_not_an_error(seeded):
    """An agent with no sessions gets zero sessions and a null average, with status 200."""
    r = _get(seeded.url, "/api/stats/agent/NOBODY")
    assert r.status_code == 200
    assert r.json()["sessions_analyzed"] == 0
    assert r.json()["average_efficiency"] is None


def test_active_sessions_show_live_tokens_duration_and_provisional_efficiency(seeded):
    """A session started in another optimizer appears in /api/sessions/active with its tokens and a score."""
    opt = SessionOptimizer(seeded.home)
    try:
        s = opt.start_session("BOLT", "Run test suite", "claude-sonnet-4-5")
        opt.log_event(s.id, "FILE_READ", {"file_path": "a.py"}, tokens_input=1200)
        opt.log_event(s.id, "AI_RESPONSE", tokens_input=300, tokens_output=200)
        opt.flush()
        body = _get(seeded.url, "/api/sessions/active").json()
        mine = [x for x in body["sessions"] if x["id"] == s.id]
        assert len(mine) == 1
        row = mine[0]
        assert row["agent"] == "BOLT"
        assert row["tokens"] == 1700
        assert row["duration"] >= 0
        assert 0 <= row["efficiency_score"] <= 100
        assert row["provisional"] is True
        opt.end_session(s.id)
        body = _get(seeded.url, "/api/sessions/active").json()
        assert s.id not in {x["id"] for x in body["sessions"]}
    finally:
        opt.delete_session(s.id)  # keep the shared seeded store as it was for the other tests
        opt.shutdown()


def test_report_endpoint_returns_the_stored_report(seeded):
    """/api/reports/{id} returns exactly the report JSON stored by the analysis."""
    sid = seeded.ids["ATLAS"][0]
    body = _get(seeded.url, f"/api/reports/{sid}").json()
    assert body == _reports(seeded, [sid])[sid]
    assert {"efficiency_score", "issues", "recommendations"} <= body.keys()


@pytest.mark.parametrize(
    "path",
    ["/api/reports/no-such-session", "/api/sessions/no-such-session", "/api/sessions/no-such-session/events"],
)
def test_unknown_session_is_a_json_404(seeded, path):
    """An unknown session id answers 404 with a JSON error body naming the id."""
    r = _get(seeded.url, path)
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    assert "no-such-session" in r.json()["detail"]


def test_sessions_are_paginated_and_filtered(seeded):
    """/api/sessions pages newest first, reports the matching total and filters by agent and status."""
    first = _get(seeded.url, "/api/sessions", params={"agent": "FORGE", "limit": 2}).json()
    second = _get(seeded.url, "/api/sessions", params={"agent": "FORGE", "limit": 2, "offset": 2}).json()
    assert first["total"] == len(seeded.ids["FORGE"])
    ids = [s["id"] for s in first["sessions"] + second["sessions"]]
    assert len(ids) == len(set(ids)) == 4
    starts = [s["started_at"] for s in first["sessions"] + second["sessions"]]
    assert starts == sorted(starts, reverse=True)
    assert all(s["agent"] == "FORGE" for s in first["sessions"])
    failed = _get(seeded.url, "/api/sessions", params={"status": "failed"}).json()
    assert failed["total"] == 0


def test_session_events_are_in_time_order_with_total(seeded):
    """/api/sessions/{id}/events lists the session's events oldest first with the total count."""
    sid = seeded.ids["FORGE"][0]
    body = _get(seeded.url, f"/api/sessions/{sid}/events").json()
    stamps = [e["timestamp"] for e in body["events"]]
    assert stamps == sorted(stamps)
    assert body["total"] == len(body["events"]) > 0
    assert body["events"][0]["data"]["file_path"] == "src/big.py"


def test_alerts_list_the_rules_raised_by_analysis(seeded):
    """Wasteful seeded sessions raised alerts that /api/alerts returns newest first."""
    body = _get(seeded.url, "/api/alerts").json()
    assert body["alerts"], "the seeded wasteful sessions should have raised alerts"
    created = [a["created_at"] for a in body["alerts"]]
    assert created == sorted(created, reverse=True)
    one = body["alerts"][0]["session_id"]
    only = _get(seeded.url, "/api/alerts", params={"session_id": one}).json()["alerts"]
    assert {a["session_id"] for a in only} == {one}


def test_trend_has_one_value_per_day_per_agent_and_team(seeded):
    """/api/stats/trend gives ``days`` dates and, per agent, a value on each day that had sessions."""
    body = _get(seeded.url, "/api/stats/trend", params={"days": 7}).json()
    assert len(body["dates"]) == 7
    assert body["dates"][-1] == datetime.now().date().isoformat()
    assert set(body["agents"]) == {"FORGE", "ATLAS"}
    for series in [*body["agents"].values(), body["team"]]:
        assert len(series) == 7
    assert sum(body["sessions"]) == sum(len(v) for v in seeded.ids.values())
    assert all((v is None) == (n == 0) for v, n in zip(body["team"], body["sessions"], strict=True))


def test_budget_sums_this_months_costs_and_forecasts(seeded):
    """/api/budget adds the priced cost of this month's sessions and forecasts at least that much."""
    body = _get(seeded.url, "/api/budget").json()
    store = store_for(seeded.home)
    month_start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    costs = [
        (store.get_report(s.id) or {}).get("cost_usd") or 0.0
        for s in store.list_sessions(since=month_start, limit=None)
    ]
    assert body["month_to_date_usd"] == pytest.approx(sum(costs), abs=1e-3)
    assert body["forecast_usd"] >= body["month_to_date_usd"] - 1e-9
    assert body["on_track"] == (body["forecast_usd"] <= body["monthly_budget_usd"])


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/stats/current", {"hours": "abc"}, "hours"),
        ("/api/stats/current", {"hours": "0"}, "hours"),
        ("/api/stats/agent/FORGE", {"days": "-1"}, "days"),
        ("/api/stats/trend", {"days": "100000"}, "days"),
        ("/api/sessions", {"status": "SLEEPING"}, "status"),
        ("/api/sessions", {"since": "yesterday"}, "since"),
        ("/api/sessions", {"limit": "1.5"}, "limit"),
        ("/api/alerts", {"limit": "0"}, "limit"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_parameter(seeded, path, params, name):
    """An invalid query parameter is a 422 whose detail names the parameter."""
    r = _get(seeded.url, path, params=params)
    assert r.status_code == 422
    assert name in r.json()["detail"]


def test_non_loopback_host_header_is_rejected(seeded):
    """A request whose Host is not a loopback name is refused (DNS rebinding guard); localhost is fine."""
    port = seeded.url.rsplit(":", 1)[1]
    assert _get(seeded.url, "/api/health", headers={"Host": "evil.example"}).status_code == 400
    assert _get(seeded.url, "/api/health", headers={"Host": f"localhost:{port}"}).status_code == 200


def test_no_wildcard_cors_and_security_headers_everywhere(seeded):
    """Cross-origin requests get no CORS grant; every response carries the CSP and nosniff headers."""
    r = _get(seeded.url, "/api/stats/current", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    html = _get(seeded.url, "/")
    assert "script-src 'self'" in html.headers["content-security-policy"]
    assert "unsafe-inline" not in html.headers["content-security-policy"]
    assert html.headers["x-content-type-options"] == "nosniff"
