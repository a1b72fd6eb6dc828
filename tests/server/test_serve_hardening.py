"""Tester-found defects of ``sessionoptimizer serve``: tokens, stream revocation, big active sets, paths, params."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sessionoptimizer_sdk.analysis.stored import finalize_session
from sessionoptimizer_sdk.errors import ConfigurationError
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.server import create_app
from sessionoptimizer_sdk.server.ingest.tokens import KIND_READ, new_token
from sessionoptimizer_sdk.server.runner import check_bind, serve_in_thread, url_for
from sessionoptimizer_sdk.server.service import DashboardService
from tests._store import store_for

BLANK_TOKENS = ["", " ", "\t", "\xa0", "\u2003\n"]


# --- 1. empty tokens ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", BLANK_TOKENS)
def test_blank_token_is_refused_at_start(tmp_path: Path, token: str) -> None:
    """An empty or whitespace-only token is a ConfigurationError for check_bind and create_app alike."""
    for host in ("127.0.0.1", "0.0.0.0"):
        with pytest.raises(ConfigurationError, match="empty or only whitespace"):
            check_bind(host, token)
    with pytest.raises(ConfigurationError):
        create_app(tmp_path, token=token)


def test_cli_serve_with_empty_token_exits_2_with_one_line(tmp_path: Path) -> None:
    """``sessionoptimizer serve --host 0.0.0.0 --token ''`` prints one ``error:`` line and exits 2."""
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "sessionoptimizer_sdk.cli", "serve", "--port", "0", "--host", "0.0.0.0"]
    done = subprocess.run([*cmd, "--token", ""], env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --token is empty")
    assert len(done.stderr.strip().splitlines()) == 1


def test_blank_bearer_never_authenticates(tmp_path: Path) -> None:
    """A bearer of only a non-breaking space is not stripped to an empty secret: 401."""
    with serve_in_thread(tmp_path, token="s3cret") as url:
        r = httpx.get(url + "/api/health", headers={b"Authorization": b"Bearer \xa0"})
        assert r.status_code == 401


# --- 2. revoked read token on an open stream ------------------------------------------------------------------
def test_open_stream_closes_soon_after_its_read_token_is_revoked(tmp_path: Path) -> None:
    """An /api/stream opened with a read token ends within 2 s of ``token revoke``."""
    store = store_for(tmp_path)
    token_id, secret = new_token(store, KIND_READ, None)
    with serve_in_thread(tmp_path, public=True, poll_interval=0.2) as url:
        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.stream("GET", url + "/api/stream", headers=headers, timeout=4.0) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert next(lines).startswith("retry:")
            assert store.revoke_token(token_id)
            revoked_at = time.monotonic()
            for _ in lines:  # keep-alives or nothing; the stream must end on its own
                pass
            assert time.monotonic() - revoked_at < 2.0


# --- 4. tokens with any printable characters -----------------------------------------------------------------
@pytest.mark.parametrize("token", ["密码token", "ab;cd", "a+b&c", 'q"u,o\\te%41'])
def test_any_printable_token_works_by_printed_url_cookie_and_bearer(tmp_path: Path, token: str) -> None:
    """The printed ``?token=`` URL logs in, the cookie it sets authenticates, and so does the UTF-8 bearer."""
    with serve_in_thread(tmp_path, token=token) as url:
        port = int(url.rsplit(":", 1)[1])
        printed = url_for("127.0.0.1", port, token)
        assert printed == f"http://127.0.0.1:{port}/?token={quote(token, safe='')}"
        first = httpx.get(printed)
        assert first.status_code == 200
        set_cookie = first.headers["set-cookie"]
        value = set_cookie.split(";", 1)[0].split("=", 1)[1]  # what a browser stores and sends back
        assert value == quote(token, safe="")
        assert httpx.get(url + "/ui/active", headers={"Cookie": f"so_token={value}"}).status_code == 200
        bearer = f"Bearer {token}".encode()
        assert httpx.get(url + "/api/health", headers={b"Authorization": bearer}).status_code == 200


def test_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    """Over HTTPS (a TLS proxy on loopback says so) the token cookie carries Secure; over plain HTTP it does not."""
    with serve_in_thread(tmp_path, token="s3cret") as url:
        plain = httpx.get(url + "/", params={"token": "s3cret"}).headers["set-cookie"]
        tls = httpx.get(url + "/", params={"token": "s3cret"}, headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in plain
        assert tls.headers["set-cookie"].endswith("; Secure")


def test_server_error_log_line_never_holds_the_token(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """An exception whose message contains the request's token is logged once, token redacted, no traceback."""
    token = "tok-1234567890"

    def explode(self: DashboardService) -> dict[str, Any]:
        raise RuntimeError(f"cannot read the budget for {token} / {quote(token)}")

    monkeypatch.setattr(DashboardService, "budget", explode)  # the /budget page looks it up per request
    with caplog.at_level(logging.ERROR), serve_in_thread(tmp_path, token=token) as url:
        r = httpx.get(url + "/budget", params={"token": token})
        assert r.status_code == 500
    logged = "\n".join(rec.getMessage() for rec in caplog.records if rec.name.startswith("sessionoptimizer"))
    assert "server.error" in logged
    assert "RuntimeError: cannot read the budget for [redacted] / [redacted]" in logged
    assert token not in logged
    err = capfd.readouterr().err  # uvicorn's own "Exception in ASGI application" traceback
    assert token not in err
    assert "Traceback" not in err


# --- 3. non-string tool names -------------------------------------------------------------------------------
@pytest.mark.parametrize("tool", [["Task"], {"name": "Task"}, 7, None])
def test_session_page_shows_tool_calls_whatever_the_tool_field_holds(tmp_path: Path, tool: Any) -> None:
    """A TOOL_CALL whose ``data.tool`` is a list, object, number or null still renders the session page."""
    store = store_for(tmp_path)
    start = datetime.now(UTC) - timedelta(minutes=5)
    session = Session("odd-tool", "ODD", "odd tool shapes", "claude-sonnet-4-5", SessionStatus.ACTIVE, start)
    store.upsert_session(session)
    events = [
        SessionEvent(
            id=f"odd-{i}",
            session_id=session.id,
            event_type=EventType.TOOL_CALL,
            timestamp=start + timedelta(seconds=i + 1),
            name=name,
            data={"tool": tool},
            tokens_input=10,
        )
        for i, name in enumerate(["Task", None])
    ]
    store.insert_events(events)
    with serve_in_thread(tmp_path) as url:
        r = httpx.get(url + "/sessions/odd-tool")
        assert r.status_code == 200
        assert "odd tool shapes" in r.text
        assert 'data-kind="subagent"' in r.text  # the event named Task is still a subagent call


# --- 5 and 6. many active sessions --------------------------------------------------------------------------
def _add_active(tmp_path: Path, n: int) -> list[str]:
    """Write ``n`` ACTIVE sessions started one second apart (oldest first); return their ids in that order."""
    store = store_for(tmp_path)
    base = datetime.now(UTC) - timedelta(hours=3)
    ids = [f"act-{i:05d}" for i in range(n)]
    sessions = [
        Session(sid, "MANY", f"t{i}", "m", SessionStatus.ACTIVE, base + timedelta(seconds=i))
        for i, sid in enumerate(ids)
    ]
    store.commit_remote_batch((), (), sessions)  # one transaction: 1,005 single upserts take seconds
    return ids


@pytest.fixture(scope="module")
def many_active(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, list[str]]]:
    """1,005 ACTIVE sessions served with a 0.2 s stream poll."""
    home = tmp_path_factory.mktemp("many-active")
    ids = _add_active(home, 1005)
    with serve_in_thread(home, poll_interval=0.2) as url:
        yield url, home, ids


def test_active_sessions_lists_every_session_longest_running_first(many_active: Any) -> None:
    """/api/sessions/active reports all 1,005 in pages, oldest first, with the total (nothing silently dropped)."""
    url, _, ids = many_active
    first = httpx.get(url + "/api/sessions/active", timeout=30).json()
    assert first["total"] == len(ids)
    assert [s["id"] for s in first["sessions"]] == ids[:500]
    rest = httpx.get(url + "/api/sessions/active", params={"offset": 500, "limit": 1000}, timeout=30).json()
    assert [s["id"] for s in rest["sessions"]] == ids[500:]
    monitor = httpx.get(url + "/ui/active", timeout=30).text
    assert "Showing the 500 longest-running of 1,005 active sessions" in monitor


def test_stream_above_1000_active_reports_only_real_ends(many_active: Any) -> None:
    """With 1,005 running, a new start is not paired with a false session_end; a real end still is reported."""
    url, home, ids = many_active
    seen: list[tuple[str, str]] = []
    ready = threading.Event()

    def read() -> None:
        with httpx.stream("GET", url + "/api/stream", timeout=10) as r:
            event = ""
            for line in r.iter_lines():
                ready.set()
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    seen.append((event, json.loads(line[6:])["id"]))
                    if event == "session_end":
                        return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(5)
    time.sleep(0.3)  # the stream's first snapshot
    store = store_for(home)
    store.upsert_session(Session("act-new", "NEW", "one more", "m", SessionStatus.ACTIVE, datetime.now(UTC)))
    time.sleep(0.6)
    ended = store.get_session(ids[1])
    store.upsert_session(replace(ended, status=SessionStatus.COMPLETED, ended_at=datetime.now(UTC)))
    reader.join(5)
    assert ("session_start", "act-new") in seen
    assert [e for e in seen if e[0] == "session_end"] == [("session_end", ids[1])]


# --- 7. agent names with '/' --------------------------------------------------------------------------------
def test_agent_name_with_slash_is_reachable_on_stats_and_guidance(tmp_path: Path) -> None:
    """/api/stats/agent/team%2Fforge and /api/guidance/team%2Fforge answer for agent ``team/forge``."""
    store = store_for(tmp_path)
    start = datetime.now(UTC) - timedelta(hours=1)
    sid = "slash-agent"
    store.upsert_session(
        Session(
            id=sid,
            agent="team/forge",
            task="t",
            model="claude-sonnet-4-5",
            status=SessionStatus.COMPLETED,
            started_at=start,
            ended_at=start + timedelta(minutes=1),
        )
    )
    store.insert_events(
        [
            SessionEvent(
                id=f"{sid}-r",
                session_id=sid,
                event_type=EventType.AI_RESPONSE,
                timestamp=start + timedelta(seconds=30),
                data={"model": "claude-sonnet-4-5"},
                tokens_input=1000,
                tokens_output=100,
            )
        ]
    )
    finalize_session(store, tmp_path / "reports", sid)
    with serve_in_thread(tmp_path) as url:
        stats = httpx.get(url + "/api/stats/agent/team%2Fforge")
        guidance = httpx.get(url + "/api/guidance/team%2Fforge")
        newline = httpx.get(url + "/api/stats/agent/a%0Ab")
        empty = httpx.get(url + "/api/stats/agent/")
    assert stats.status_code == 200
    assert (stats.json()["agent"], stats.json()["sessions_analyzed"]) == ("team/forge", 1)
    assert guidance.status_code == 200
    assert guidance.json()["agent"] == "team/forge"
    assert guidance.json()["sessions_analyzed"] == 1
    assert (newline.status_code, newline.json()["agent"]) == (200, "a\nb")
    assert empty.status_code == 404


# --- 8. strict integers, unknown parameters -----------------------------------------------------------------
@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty store served on loopback without a token."""
    with serve_in_thread(tmp_path_factory.mktemp("plain")) as url:
        yield url


@pytest.mark.parametrize("raw", ["1_0", "+5", " 5 ", "5 ", "\u0665", "\uff15", "5\n", "0x5", "", "-"])
def test_integer_parameters_take_only_ascii_digits(plain_server: str, raw: str) -> None:
    """``limit`` given as anything but plain ASCII digits is a 422 naming ``limit``."""
    r = httpx.get(plain_server + "/api/sessions", params={"limit": raw})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_parameter"
    assert "'limit'" in r.json()["detail"]


def test_plain_integers_and_huge_ones(plain_server: str) -> None:
    """``007`` is 7; a 5,000-digit number is out of range (422), not a server error."""
    assert httpx.get(plain_server + "/api/sessions", params={"limit": "007"}).json()["limit"] == 7
    r = httpx.get(plain_server + "/api/sessions", params={"limit": "9" * 5000})
    assert r.status_code == 422
    assert "between 1 and 1000" in r.json()["detail"]


def test_unknown_query_parameter_is_named_in_a_422(plain_server: str) -> None:
    """A misspelt ``limt`` is refused naming it and the accepted parameters; ``token`` is always accepted."""
    r = httpx.get(plain_server + "/api/sessions", params={"limt": "5"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(
        "query parameter 'limt': unknown for this endpoint (accepted: agent,"
    )
    assert httpx.get(plain_server + "/api/health", params={"token": "x"}).status_code == 200


def test_the_stream_and_the_api_description_refuse_unknown_parameters_too(plain_server: str) -> None:
    """``/api/stream?limt=5`` and ``/openapi.json?limt=5`` are 422 naming ``limt``, as every declared route is."""
    for path in ("/api/stream", "/openapi.json"):
        r = httpx.get(plain_server + path, params={"limt": "5"}, timeout=10)
        assert r.status_code == 422, path
        assert r.json()["detail"].startswith("query parameter 'limt': unknown for this endpoint"), path
    assert httpx.get(plain_server + "/openapi.json", params={"token": "x"}).status_code == 200


# --- 9. 405 Allow -------------------------------------------------------------------------------------------
def test_wrong_method_answer_names_the_allowed_ones(plain_server: str) -> None:
    """POST to a GET route is a 405 JSON error with an Allow header listing GET."""
    r = httpx.post(plain_server + "/api/health")
    assert r.status_code == 405
    assert r.json()["error"] == "http_error"
    assert "GET" in [m.strip() for m in r.headers["allow"].split(",")]
