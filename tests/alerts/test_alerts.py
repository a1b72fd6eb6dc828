"""Alert rules, the engine (once per session and rule, stored, delivered), and the notifiers."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from sessionoptimizer_sdk.alerts import (
    Alert,
    AlertEngine,
    CallableNotifier,
    LogNotifier,
    WebhookNotifier,
    default_rules,
)
from sessionoptimizer_sdk.analysis import OptimizationReport, analyze_events
from sessionoptimizer_sdk.errors import ConfigurationError
from sessionoptimizer_sdk.models import Session, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)


def _report(**changes: object) -> OptimizationReport:
    base = analyze_events(Session("s1", "BOLT", "t", "grok", SessionStatus.COMPLETED, T0, T0), [], now=T0)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_default_rules_match_the_spec_table() -> None:
    """Each of the five rules fires just past its spec threshold with the spec's priority."""
    bad = _report(
        efficiency_score=69.0,
        total_waste_tokens=5_001,
        active_minutes=61.0,
        metrics={"error_rate": 0.31, "tool_calls": 10.0, "max_token_spike_ratio": 3.5},
    )
    ok = _report(
        efficiency_score=70.0,
        total_waste_tokens=5_000,
        active_minutes=60.0,
        metrics={"error_rate": 0.30, "tool_calls": 10.0, "max_token_spike_ratio": 3.0},
    )
    fired = {r.name: r.priority for r in default_rules() if r.check(bad)}
    assert fired == {
        "low_efficiency": "HIGH",
        "high_waste": "MEDIUM",
        "long_session": "MEDIUM",
        "high_error_rate": "HIGH",
        "token_spike": "LOW",
    }
    assert [r.name for r in default_rules() if r.check(ok)] == []
    assert "low_efficiency" not in [r.name for r in default_rules(min_efficiency=50) if r.check(bad)]


def test_engine_fires_once_per_session_and_rule_and_delivers(tmp_path: Path) -> None:
    """Evaluating twice stores and delivers each alert once."""
    store = SQLiteStore(tmp_path / "s.db")
    got: list[Alert] = []
    engine = AlertEngine(store, notifiers=[CallableNotifier(got.append)])
    report = _report(efficiency_score=10.0)
    assert [a.rule for a in engine.evaluate(report)] == ["low_efficiency"]
    assert engine.evaluate(report) == []
    assert engine.flush(5)
    assert [a.rule for a in got] == ["low_efficiency"]
    assert store.list_alerts(session_id="s1")[0]["priority"] == "HIGH"
    engine.close()


def test_failing_notifier_is_retried_and_never_blocks(tmp_path: Path) -> None:
    """A notifier that fails twice then works is retried on the delivery thread; evaluate returns at once."""
    calls: list[float] = []

    def flaky(alert: Alert) -> None:
        calls.append(time.monotonic())
        time.sleep(0.05)
        if len(calls) < 3:
            raise OSError("down")

    engine = AlertEngine(
        SQLiteStore(tmp_path / "s.db"), notifiers=[CallableNotifier(flaky)], retry_backoff=0.01
    )
    start = time.monotonic()
    engine.evaluate(_report(efficiency_score=10.0))
    assert time.monotonic() - start < 0.05
    assert engine.flush(5)
    assert len(calls) == 3 and engine.failed_deliveries == 0
    always = AlertEngine(
        SQLiteStore(tmp_path / "t.db"), notifiers=[CallableNotifier(lambda a: 1 / 0)], retry_backoff=0
    )
    always.evaluate(_report(efficiency_score=10.0))
    assert always.flush(5) and always.failed_deliveries == 1
    engine.close()
    always.close()


def test_webhook_posts_json(tmp_path: Path) -> None:
    """The webhook notifier POSTs the alert as JSON to a local server."""
    bodies: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        hook = WebhookNotifier(f"http://127.0.0.1:{server.server_port}/hook", timeout=2)
        alert = Alert("s1", "BOLT", "low_efficiency", "HIGH", "low", T0, {"efficiency_score": 10.0})
        hook.notify(alert)
        LogNotifier().notify(alert)
    finally:
        server.shutdown()
        server.server_close()
    assert bodies == [alert.to_dict()]


def test_webhook_rejects_non_http_urls() -> None:
    """Only http(s) URLs are accepted (no file:// or other urllib schemes)."""
    with pytest.raises(ConfigurationError):
        WebhookNotifier("file:///etc/passwd")
