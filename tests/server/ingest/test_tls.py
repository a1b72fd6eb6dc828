"""``serve --ssl-certfile/--ssl-keyfile``: the team server speaks HTTPS (uvicorn's TLS)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from sessionoptimizer_sdk.errors import ConfigurationError
from sessionoptimizer_sdk.server.ingest.tokens import new_token
from sessionoptimizer_sdk.server.runner import build_server
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .payloads import event_span, traces

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_https_ingest_and_reads(tmp_path: Path):
    """Over HTTPS with tokens, an agent's export lands and the read token opens the API."""
    cert, key = _self_signed(tmp_path)
    home = tmp_path / "home"
    store = SQLiteStore(home / "sessionoptimizer.db")
    _, read = new_token(store, "read", None)
    _, forge = new_token(store, "ingest", "FORGE")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server: Any = build_server(
        home, host="127.0.0.1", port=port, ssl_certfile=str(cert), ssl_keyfile=str(key)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        url = f"https://localhost:{port}"
        trust = ssl.create_default_context(cafile=str(cert))
        body = traces(event_span("s-tls", 1)).SerializeToString()
        headers = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {forge}"}
        assert httpx.post(f"{url}/v1/traces", content=body, headers=headers, verify=trust).status_code == 200
        assert store.get_session("s-tls").event_count == 1
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://localhost:{port}/api/health", timeout=2)  # plain HTTP is not served
        r = httpx.get(f"{url}/api/sessions", headers={"Authorization": f"Bearer {read}"}, verify=trust)
        assert r.status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_certfile_without_keyfile_is_refused(tmp_path: Path):
    """Giving only one of the TLS files is a configuration error."""
    with pytest.raises(ConfigurationError):
        build_server(tmp_path, ssl_certfile=str(tmp_path / "cert.pem"))
