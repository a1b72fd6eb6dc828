"""Issue 14 item 11: the session page plots context per model call with marks linked to their findings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk.server.runner import serve_in_thread

pytestmark = pytest.mark.browser
T0 = datetime(2026, 1, 21, 14, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Site:
    url: str
    sid: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Site]:
    """A session with 4 model calls, a 10-minute pause (cache expired), a compaction, a Task call and a re-read."""
    home: Path = tmp_path_factory.mktemp("plot-home")
    opt = SessionOptimizer(home)
    try:
        s = opt.start_session("FORGE", "Context plot", "claude-sonnet-4-5")
        at = [T0]

        def log(kind: str, data: dict[str, object] | None = None, gap: float = 10, **tokens: int) -> None:
            at[0] += timedelta(seconds=gap)
            opt.log_event(s.id, kind, data or {}, timestamp=at[0], **tokens)

        log("AI_RESPONSE", tokens_input=10, cache_write_tokens=20_000, tokens_output=100)
        log("FILE_READ", {"file_path": "/p/a.py", "result_tokens": 900})
        log("FILE_READ", {"file_path": "/p/a.py", "result_tokens": 900})
        log(
            "AI_RESPONSE",
            tokens_input=10,
            cache_read_tokens=20_000,
            cache_write_tokens=1_000,
            tokens_output=100,
        )
        log("AI_RESPONSE", gap=600, tokens_input=10, cache_write_tokens=21_010, tokens_output=100)
        log("TOOL_CALL", {"tool": "Task", "result_tokens": 50})
        log("COMPACTION", {"trigger": "auto"})
        log("AI_RESPONSE", tokens_input=10, cache_write_tokens=5_000, tokens_output=100)
        opt.end_session(s.id)
        opt.flush()
    finally:
        opt.shutdown()
    with serve_in_thread(home, poll_interval=0.25) as url:
        yield _Site(url, s.id)


def test_context_plot_draws_every_model_call_with_its_four_series(site: _Site, page) -> None:
    """The plot has one point per model call (4) and series cache read, cache write, fresh input, output."""
    page.goto(f"{site.url}/sessions/{site.sid}")
    page.wait_for_selector("#context-plot canvas")
    assert page.locator("#context-plot").get_attribute("data-calls") == "4"
    legend = {t.strip() for t in page.locator("#context-plot .u-legend .u-series th").all_inner_texts()}
    assert {"cache read", "cache write", "fresh input", "output"} <= legend


def test_marks_link_to_their_findings(site: _Site, page) -> None:
    """Marks: the TTL miss and the compaction miss link to cache_miss findings, the re-read to its finding."""
    page.goto(f"{site.url}/sessions/{site.sid}")
    page.wait_for_selector("#context-plot canvas")
    marks = page.locator("#context-marks li")
    kinds = [marks.nth(i).get_attribute("data-kind") for i in range(marks.count())]
    # hand count: 2 cache misses (10-min pause, compaction), 2 reads in the re-read evidence, 1 Task, 1 compaction
    assert sorted(kinds) == sorted(["reread", "reread", "cache_miss", "subagent", "compaction", "cache_miss"])
    assert page.locator("#context-plot").get_attribute("data-marks") == "6"
    miss = page.locator("#context-marks li[data-kind='cache_miss'] a").first
    target = miss.get_attribute("href")
    assert target and target.startswith("#finding-")
    assert "cache miss" in page.locator(target).inner_text()
    miss.click()
    assert page.evaluate("location.hash") == target
    reread = page.locator("#context-marks li[data-kind='reread'] a").first.get_attribute("href")
    assert "repeated file read" in page.locator(str(reread)).inner_text()
