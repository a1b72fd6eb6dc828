"""The webhook notifier: redirects are failures, secrets stay out of logs, unusable URLs are refused up front."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sessionoptimizer_sdk.alerts import Alert, AlertEngine, WebhookNotifier
from sessionoptimizer_sdk.alerts.notifiers import WebhookRedirect
from sessionoptimizer_sdk.errors import ConfigurationError
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

ALERT = Alert("s1", "BOLT", "high_waste", "MEDIUM", "waste", datetime(2026, 1, 21, tzinfo=UTC), {"w": 6000})


class Receiver:
    """A real HTTP server on 127.0.0.1 recording (method, path, Authorization, body); /moved answers 302."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None, bytes]] = []
        seen = self.requests
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append((self.command, self.path, self.headers.get("Authorization"), body))
                if self.path.startswith("/moved"):
                    self.send_response(302)
                    self.send_header("Location", f"http://localhost:{owner.port}/ok?k=LOCSECRET")
                else:
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver, closed after the test."""
    r = Receiver()
    yield r
    r.close()


def test_redirect_is_a_failed_delivery_counted_with_its_cause(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A 302 is not followed: one POST, no GET to the other host, counted as a redirect, no secret in the log."""
    url = f"http://127.0.0.1:{receiver.port}/moved?token=QSECRET"
    hook = WebhookNotifier(url, headers={"Authorization": "Bearer HSECRET"}, retries=0, timeout=2)
    with pytest.raises(WebhookRedirect, match="redirect to http://localhost"):
        hook.notify(ALERT)
    assert [(m, p) for m, p, _, _ in receiver.requests] == [("POST", "/moved?token=QSECRET")]
    store = SQLiteStore(tmp_path / "s.db")
    engine = AlertEngine(store, notifiers=[hook], retry_backoff=0)
    with caplog.at_level(logging.WARNING, logger="sessionoptimizer"):
        engine._deliver(ALERT)
        assert engine.flush(5)
    assert store.counters().get("alerts_undelivered_redirect") == 1
    assert store.counters().get("callback_failures") == 1
    assert "localhost" in caplog.text
    for secret in ("QSECRET", "HSECRET", "LOCSECRET"):
        assert secret not in caplog.text
    engine.close()


def test_userinfo_becomes_basic_auth_and_never_shows(receiver: Receiver) -> None:
    """user:password@ is sent as a Basic header to the host (not used as a host name), and repr hides it."""
    hook = WebhookNotifier(f"http://bob:S%40CRET@127.0.0.1:{receiver.port}/hook?token=QSECRET", timeout=2)
    hook.notify(ALERT)
    expected = "Basic " + base64.b64encode(b"bob:S@CRET").decode()
    assert [(m, p, a) for m, p, a, _ in receiver.requests] == [("POST", "/hook?token=QSECRET", expected)]
    assert repr(hook) == f"WebhookNotifier('http://127.0.0.1:{receiver.port}/hook?token=***')"
    assert "S%40CRET" not in hook.url and "bob" not in hook.url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/ok path?token=QSECRET",
        "http://127.0.0.1:99999/x",
        "http://[::1",
        "http://",
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://[fe80::1]/hook",
        "http://[::ffff:169.254.169.254]/",
        "https://metadata.google.internal./computeMetadata/v1/",
    ],
)
def test_unusable_or_metadata_urls_are_refused_without_leaking(url: str) -> None:
    """Invalid URLs and link-local/metadata hosts are refused at construction; the error shows no query value."""
    with pytest.raises(ConfigurationError) as info:
        WebhookNotifier(url)
    assert "QSECRET" not in str(info.value)


def test_link_local_is_allowed_when_asked() -> None:
    """allow_link_local=True accepts a link-local receiver."""
    assert (
        WebhookNotifier("http://169.254.10.1/hook", allow_link_local=True).url == "http://169.254.10.1/hook"
    )


def test_repr_hides_path_secrets_of_chat_webhooks() -> None:
    """A Slack-style URL shows its host and first path segment only."""
    hook = WebhookNotifier("https://hooks.slack.com/services/T000/B000/XXXXSECRET")
    assert repr(hook) == "WebhookNotifier('https://hooks.slack.com/services/…')"
