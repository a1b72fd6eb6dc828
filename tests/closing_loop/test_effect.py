"""The measured effect: waste per 1,000 tokens and USD per session before vs since guidance/the guard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk.analysis.stats import enabled_since, enablement_effect
from sessionoptimizer_sdk.analysis.stored import finalize_session
from sessionoptimizer_sdk.cli._app import cli
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import Session, SessionStatus
from sessionoptimizer_sdk.server.runner import serve_in_thread
from sessionoptimizer_sdk.store import Store, open_store
from tests.server.conftest import _events


def _on(kind: str, at: float, action: str = "enabled") -> dict[str, object]:
    return {"kind": kind, "action": action, "at": at}


def test_effect_before_and_after_computed_by_hand() -> None:
    """400 waste / 20k tokens before (20.0 per 1k, $2/session) vs 100 / 20k after (5.0, $1): -75 %, improving."""
    rows = [
        (100.0, 100, 10_000, 1.0),
        (200.0, 300, 10_000, 3.0),
        (400.0, 50, 10_000, 1.0),
        (500.0, 50, 10_000, None),
    ]
    effect = enablement_effect(rows, [_on("guard", 300.0)])
    assert effect is not None
    assert effect["before"] == {
        "sessions": 2,
        "waste_tokens": 400,
        "fresh_tokens": 20_000,
        "waste_per_1k_tokens": 20.0,
        "usd_per_session": 2.0,
        "unpriced_sessions": 0,
    }
    assert effect["after"]["waste_per_1k_tokens"] == 5.0 and effect["after"]["unpriced_sessions"] == 1
    assert effect["change"] == {"waste_per_1k_tokens_pct": -75.0, "usd_per_session_pct": -50.0}
    assert effect["direction"] == "improving" and effect["enabled_at"].startswith("1970-01-01T00:05:00")


def test_effect_needs_sessions_on_both_sides_and_none_without_enablement() -> None:
    """No enablement gives None; an enablement with no session after it is "insufficient_data"."""
    rows = [(100.0, 100, 10_000, 1.0)]
    assert enablement_effect(rows, []) is None
    effect = enablement_effect(rows, [_on("guidance", 300.0)])
    assert effect is not None and effect["direction"] == "insufficient_data"
    assert effect["after"]["waste_per_1k_tokens"] is None


def test_enabled_since_follows_the_latest_on_period() -> None:
    """On at 100 (guidance) and 150 (guard), all off by 250, guard on again at 300: the period starts at 300."""
    records = [
        _on("guidance", 100),
        _on("guard", 150),
        _on("guidance", 200, "disabled"),
        _on("guard", 250, "disabled"),
        _on("guard", 300),
    ]
    assert enabled_since(records) == (300.0, ("guard",), True)
    assert enabled_since(records[:4]) == (100.0, ("guard", "guidance"), False)


@pytest.fixture
def seeded_effect(backend_env: str, home: Path) -> Iterator[tuple[str, Store, dict[str, tuple[int, int]]]]:
    """LOOP (on each backend): two sessions with 3 re-reads each before the guard was enabled, two clean after."""
    store = open_store(backend_env, Settings.from_env(home))
    now = datetime.now(UTC)
    numbers: dict[str, tuple[int, int]] = {}
    for n, (days_ago, rereads) in enumerate([(5, 3), (4, 3), (1, 0), (0, 0)]):
        sid = f"loop_{n}"
        start = now - timedelta(days=days_ago, hours=1)
        events = _events(sid, start, rereads)
        store.upsert_session(
            Session(
                sid, "LOOP", "t", "claude-sonnet-4-5", SessionStatus.COMPLETED, start, events[-1].timestamp
            )
        )
        store.insert_events(events)
        report = finalize_session(store, home / "reports", sid)
        numbers[sid] = (report.total_waste_tokens, (1 + rereads) * 3000 + 4000 + 1500)  # fresh tokens by hand
    store.record_enablement("LOOP", "guard", at=(now - timedelta(days=2)).timestamp())
    yield "LOOP", store, numbers
    store.close()


def _expected(numbers: dict[str, tuple[int, int]], ids: list[str]) -> float:
    waste = sum(numbers[i][0] for i in ids)
    return round(waste / sum(numbers[i][1] for i in ids) * 1000, 2)


def test_api_and_cli_show_the_effect_and_guidance(seeded_effect, home: Path) -> None:
    """/api/stats/agent, `stats` and /api/guidance agree on the before/after split and the re-read item."""
    agent, _store, numbers = seeded_effect
    assert numbers["loop_0"][0] > 0  # the re-reads were found as waste
    before, after = _expected(numbers, ["loop_0", "loop_1"]), _expected(numbers, ["loop_2", "loop_3"])
    pct = round((after - before) / before * 100, 1)
    with serve_in_thread(home) as url:
        stats = httpx.get(f"{url}/api/stats/agent/{agent}", params={"days": 7}).json()
        guidance = httpx.get(f"{url}/api/guidance/{agent}", params={"days": 7}).json()
        bad = httpx.get(f"{url}/api/guidance/{agent}", params={"max_items": 0})
        trend = httpx.get(f"{url}/api/stats/trend", params={"days": 7}).json()
    effect = stats["effect"]
    assert (effect["before"]["sessions"], effect["after"]["sessions"]) == (2, 2)
    assert effect["before"]["waste_per_1k_tokens"] == before
    assert effect["after"]["waste_per_1k_tokens"] == after
    pct = round((after - before) / before * 100, 1)
    assert (
        pct <= -5
        and effect["change"]["waste_per_1k_tokens_pct"] == pct
        and effect["direction"] == "improving"
    )
    [item] = [i for i in guidance["items"] if i["kind"] == "reread_file"]
    assert (item["subject"], item["sessions"], item["occurrences"]) == ("src/big.py", 2, 6)
    assert "`src/big.py`" in guidance["claude_md"] and guidance["claude_md"].startswith(
        "<!-- sessionoptimizer"
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_parameter"
    [mark] = trend["enablements"]
    assert (mark["agent"], mark["kind"], mark["action"]) == ("LOOP", "guard", "enabled")
    assert mark["date"] in trend["dates"] and mark["waste_per_1k_tokens_pct"] == pct
    runner = CliRunner()
    out = runner.invoke(cli, ["--home", str(home), "stats", agent, "--days", "7", "--format", "json"])
    cli_effect = json.loads(out.stdout)["effect"]
    assert cli_effect["before"]["waste_per_1k_tokens"] == before and cli_effect["after"]["sessions"] == 2
    text = runner.invoke(cli, ["--home", str(home), "stats", agent, "--days", "7"]).stdout
    assert "Since guard enabled" in text and f"{before:.1f} -> {after:.1f}" in text


@pytest.mark.browser
def test_dashboard_trend_lists_the_enablement(seeded_effect, home: Path) -> None:
    """The overview's trend panel shows the day the guard was enabled, with the agent's waste change."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with serve_in_thread(home) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/")
        page.wait_for_selector("#trend-enablements li")
        [text] = page.locator("#trend-enablements li").all_inner_texts()
        browser.close()
    assert errors == []
    assert "LOOP: guard enabled, waste per 1k tokens since: -" in text
