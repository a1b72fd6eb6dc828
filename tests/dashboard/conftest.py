"""Browser fixtures: Debian's Chromium driven by Playwright, and a served store holding the demo's sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk import SessionOptimizer
from sessionoptimizer_sdk.demo import run_demo
from sessionoptimizer_sdk.server.runner import serve_in_thread

CHROMIUM = Path(os.environ.get("SESSIONOPTIMIZER_CHROMIUM", "/usr/bin/chromium"))
XSS_AGENT = '<img src=x onerror="window.__xss=1">'
XSS_TASK = "<script>window.__xss=2</script>\"'><svg onload=window.__xss=3>"


@dataclass(frozen=True)
class Served:
    """A demo store served over HTTP: folder, base URL and interesting session ids."""

    home: Path
    url: str
    demo_ids: list[str]
    xss_id: str
    xss_agent: str = XSS_AGENT
    xss_task: str = XSS_TASK


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo's three agents plus a session whose agent and task are XSS payloads, served live."""
    home = tmp_path_factory.mktemp("dash-home")
    opt = SessionOptimizer(home)
    try:
        ids = run_demo(opt)
        xss = opt.start_session(XSS_AGENT, XSS_TASK, "claude-sonnet-4-5")
        opt.log_event(xss.id, "FILE_READ", {"file_path": "<b>bold</b>.py"}, tokens_input=100)
        opt.end_session(xss.id)
        opt.flush()
    finally:
        opt.shutdown()
    with serve_in_thread(home, poll_interval=0.25) as url:
        yield Served(home, url, ids, xss.id)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (skipped, with the reason, when /usr/bin/chromium is missing)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any JavaScript error or CSP violation report in the console."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()
    assert errors == [], f"browser errors: {errors}"
