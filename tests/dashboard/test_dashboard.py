"""The dashboard in a real Chromium: the three panels, live updates without reload, escaping, extra pages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _shot(page, name: str, tmp_path: Path) -> None:
    """Screenshot the page; copied to docs/img when SESSIONOPTIMIZER_SCREENSHOTS=1 (README images)."""
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    if os.environ.get("SESSIONOPTIMIZER_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, DOCS_IMG / f"{name}.png")


def test_three_panels_render_the_demo_agents(served, page, tmp_path):
    """Efficiency rows, the team total, and a trend line per agent plus the team come from the real store."""
    stats = httpx.get(served.url + "/api/stats/current").json()
    page.goto(served.url + "/")
    rows = page.locator("#efficiency-table tbody tr")
    agents = {rows.nth(i).get_attribute("data-agent") for i in range(rows.count())}
    assert {"FORGE", "ATLAS", "BOLT"} <= agents
    assert agents == set(stats["agents"])
    total = page.locator("#team-total td").all_inner_texts()
    assert total[1] == str(stats["total_sessions"])
    assert total[2] == f"{stats['average_efficiency']:.1f}%"
    page.wait_for_selector("#trend-chart canvas")
    legend = page.locator("#trend-chart .u-legend .u-series th").all_inner_texts()
    assert {"FORGE", "ATLAS", "BOLT", "TEAM"} <= {t.strip() for t in legend}
    _shot(page, "dashboard", tmp_path)


def test_live_monitor_follows_a_session_from_other_processes_without_reload(served, page, tmp_path):
    """A session started by a subprocess appears, updates its tokens and disappears on end, with no reload."""
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(served.home)}
    exe = [sys.executable, "-m", "sessionoptimizer_sdk.cli"]

    def cli(*args: str) -> str:
        done = subprocess.run([*exe, *args], env=env, capture_output=True, text=True, timeout=60, check=True)
        return done.stdout.strip()

    page.goto(served.url + "/")
    page.wait_for_selector("body[data-stream='open']", timeout=10_000)
    page.evaluate("window.__noReload = 42")
    sid = cli("start", "FORGE", "Build PriorityQueue", "--model", "claude-sonnet-4-5")
    item = page.locator(f"li.active-session[data-session-id='{sid}']")
    item.wait_for(timeout=10_000)
    assert "Build PriorityQueue" in item.inner_text()
    cli("log", sid, "AI_RESPONSE", "--tokens-input", "12000", "--tokens-output", "450")
    page.wait_for_function(
        "sid => { const el = document.querySelector(`li[data-session-id='${sid}'] .tokens`);"
        " return el && el.textContent.trim() === '12,450'; }",
        arg=sid,
        timeout=10_000,
    )
    assert page.locator(f"li[data-session-id='{sid}'] meter").count() == 1
    _shot(page, "live-monitor", tmp_path)
    cli("end", sid)
    item.wait_for(state="detached", timeout=10_000)
    assert page.evaluate("window.__noReload") == 42


@pytest.mark.parametrize("path", ["/", "/sessions", "/sessions/{xss}", "/alerts"])
def test_xss_payloads_are_shown_as_text_and_never_run(served, page, path):
    """An agent or task holding HTML/JS is displayed literally and no injected script runs."""
    page.goto(served.url + path.replace("{xss}", served.xss_id))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None
    body = page.evaluate("document.body.textContent")  # raw text (headings are upper-cased by CSS)
    if path != "/alerts":
        assert served.xss_agent in body or served.xss_task in body
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("svg[onload]").count() == 0


def test_session_page_shows_report_breakdown_and_timeline(served, page, tmp_path):
    """The session page shows the stored score, findings with evidence links, the breakdown and the timeline."""
    sid = served.demo_ids[1]
    report = httpx.get(f"{served.url}/api/reports/{sid}").json()
    page.goto(f"{served.url}/sessions/{sid}")
    assert page.inner_text("#score") == f"{report['efficiency_score']:.1f}%"
    findings = page.locator("#findings article.finding")
    assert findings.count() == len(report["issues"]) > 0
    evidence = page.locator("#findings .evidence a").first
    target = evidence.get_attribute("href")
    assert page.locator(target.replace(":", "\\:")).count() == 1  # evidence links to a timeline row
    assert page.locator("#by-target tbody tr").count() >= 1
    events = httpx.get(f"{served.url}/api/sessions/{sid}/events").json()
    assert page.locator("#timeline tbody tr").count() == events["total"]
    _shot(page, "session", tmp_path)


def test_alerts_and_budget_pages(served, page, tmp_path):
    """The alerts page lists the stored alerts; the budget page shows spend, budget and forecast from the API."""
    alerts = httpx.get(served.url + "/api/alerts").json()["alerts"]
    page.goto(served.url + "/alerts")
    assert page.locator("#alerts-table tbody tr").count() == max(1, len(alerts))
    _shot(page, "alerts", tmp_path)
    budget = httpx.get(served.url + "/api/budget").json()
    page.goto(served.url + "/budget")
    assert page.inner_text("#monthly-budget") == f"${budget['monthly_budget_usd']:,.2f}"
    assert page.inner_text("#mtd") == f"${budget['month_to_date_usd']:,.2f}"
    _shot(page, "budget", tmp_path)
