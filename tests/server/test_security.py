"""Token protection and bind safety of the server."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from sessionoptimizer_sdk.cli import _app
from sessionoptimizer_sdk.errors import ConfigurationError
from sessionoptimizer_sdk.server.runner import check_bind, serve_in_thread


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory):
    """A server that requires the token ``s3cret``."""
    with serve_in_thread(tmp_path_factory.mktemp("tok"), token="s3cret") as url:
        yield url


def test_requests_without_the_token_are_401(guarded):
    """With a token configured, a request without it (or with a wrong one) is refused with 401 JSON."""
    assert httpx.get(guarded + "/api/health").status_code == 401
    r = httpx.get(guarded + "/api/health", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"


def test_bearer_query_and_cookie_tokens_are_accepted(guarded):
    """The token works as a bearer header, as ?token= (which sets an HttpOnly cookie) and as that cookie."""
    assert httpx.get(guarded + "/api/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    first = httpx.get(guarded + "/", params={"token": "s3cret"})
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert httpx.get(guarded + "/api/budget", cookies={"so_token": "s3cret"}).status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_public_bind_without_token_is_refused(host):
    """Binding to a non-loopback address without a token raises ConfigurationError."""
    with pytest.raises(ConfigurationError):
        check_bind(host, None)
    check_bind(host, "t0ken")
    check_bind("127.0.0.1", None)


def test_cli_serve_public_without_token_exits_2():
    """``sessionoptimizer serve --host 0.0.0.0`` without --token prints one line and exits 2."""
    result = CliRunner().invoke(_app.cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--token" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "host",
    ["127.attacker.example", "127.0.0.1.nip.io", "127.0.0.1.nip.io:8765", "127.1.evil.com", "localhost.evil"],
)
def test_dns_rebinding_names_starting_with_127_are_refused(tmp_path_factory: pytest.TempPathFactory, host):
    """A Host that only looks like loopback (``127.x.attacker``) is refused with 400 bad_host."""
    with serve_in_thread(tmp_path_factory.mktemp("rebind")) as url:
        r = httpx.get(url + "/api/sessions", headers={"Host": host})
        assert r.status_code == 400
        assert r.json()["error"] == "bad_host"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8765", "localhost:8765", "[::1]:8765", "127.0.0.2"])
def test_literal_loopback_hosts_are_accepted(tmp_path_factory: pytest.TempPathFactory, host):
    """Literal loopback addresses and ``localhost`` (with or without port) are served."""
    with serve_in_thread(tmp_path_factory.mktemp("loop")) as url:
        assert httpx.get(url + "/api/health", headers={"Host": host}).status_code == 200


def test_proxied_loopback_bind_needs_a_read_token():
    """``serve --allowed-host`` behind a proxy is reachable from elsewhere: it needs a token like a public bind."""
    with pytest.raises(ConfigurationError):
        check_bind("127.0.0.1", None, proxied=True)
    check_bind("127.0.0.1", None, read_tokens=1, proxied=True)
    check_bind("127.0.0.1", "t0ken", proxied=True)


def test_token_cookie_is_found_next_to_other_localhost_cookies(guarded):
    """The token cookie is read even when another localhost app set a cookie the stdlib parser rejects."""
    for header in ('prefs={"a":1,"b":2}; so_token=s3cret', "_ga=GA1.1.1; Name@x=1; so_token=s3cret"):
        r = httpx.get(guarded + "/api/health", headers={"Cookie": header})
        assert r.status_code == 200, header


def test_empty_query_token_falls_back_to_the_cookie(guarded):
    """An empty ``?token=`` is no token: the cookie still authenticates, and no new cookie is set."""
    r = httpx.get(guarded + "/api/health", params={"token": ""}, cookies={"so_token": "s3cret"})
    assert r.status_code == 200
    assert "set-cookie" not in r.headers
    assert httpx.get(guarded + "/api/health", params={"token": "wrong"}).status_code == 401
