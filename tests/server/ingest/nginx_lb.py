"""nginx as the HTTP load balancer in front of ``sessionoptimizer serve`` processes, run as a test subprocess.

nginx runs in the foreground (``daemon off``) with its own prefix, config, pid, logs and temp paths in a test
folder; as root its workers run as ``nobody``. Its access log records which upstream answered each request.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

#: The access-log line: status sent to the client, upstreams tried (", "-separated) and their statuses.
LOG_FORMAT = "$status|$upstream_addr|$upstream_status|$request_uri"


def nginx_binary() -> Path:
    """The nginx binary (PATH, then /usr/sbin); skips with one reason where nginx is not installed."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        pytest.skip("nginx is not installed (apt-get install nginx): the load-balancer test needs it")
    return Path(found)


def _user_line() -> str:
    """As root, workers run as ``nobody`` (with its primary group); otherwise nginx keeps the current user."""
    if os.geteuid() != 0:
        return ""
    nobody = pwd.getpwnam("nobody")
    return f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"


def nginx_config(prefix: Path, listen_port: int, upstream_ports: Sequence[int]) -> str:
    """The tested load-balancer configuration: round robin over ``upstream_ports``, failover on errors."""
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in upstream_ports
    )
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / ('temp-' + kind)};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
{_user_line()}
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} notice;
events {{ worker_connections 256; }}
http {{
    log_format lb '{LOG_FORMAT}';
    access_log {prefix / "access.log"} lb;
{temp}
    # OTLP bodies stay in memory (never a temp file) up to the server's own 8 MiB limit, which answers 413 itself.
    client_max_body_size 16m;
    client_body_buffer_size 16m;
    upstream sessionoptimizer {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen_port};
        location / {{
            proxy_pass http://sessionoptimizer;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            proxy_buffering off;
            # OTLP POSTs are idempotent on serve (events are keyed): retry them on the other server too.
            proxy_next_upstream error timeout http_502 http_503 http_429 non_idempotent;
            proxy_next_upstream_tries 2;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Hit:
    """One access-log line: the status nginx answered and the upstreams it tried, in order."""

    status: int
    upstreams: tuple[str, ...]
    upstream_statuses: tuple[str, ...]
    uri: str


def read_hits(prefix: Path) -> list[Hit]:
    """The OTLP requests (``/v1/...``) nginx has logged so far; the start-up probe is left out."""
    path = prefix / "access.log"
    if not path.exists():
        return []
    hits = []
    for line in path.read_text(encoding="utf-8").splitlines():
        status, addrs, statuses, uri = line.split("|")
        if not uri.startswith("/v1/"):
            continue
        hits.append(
            Hit(int(status), tuple(addrs.split(", ")), tuple(statuses.split(", ")), uri),
        )
    return hits


@contextlib.contextmanager
def run_nginx(prefix: Path, listen_port: int, upstream_ports: Sequence[int]) -> Iterator[str]:
    """Run nginx in the foreground with its own prefix until the block ends; yield its URL."""
    binary = nginx_binary()
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(prefix, listen_port, upstream_ports), encoding="utf-8")
    cmd = [str(binary), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [*cmd, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{listen_port}"
    try:
        deadline = time.monotonic() + 10
        while not _listening(url):
            assert process.poll() is None, (prefix / "error.log").read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "nginx did not start listening"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()  # SIGTERM: fast shutdown of master and workers
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)  # any answer (even a 502 with no upstream up) means nginx listens
    except httpx.HTTPError:
        return False
    return True


class ServeProcess:
    """One ``sessionoptimizer serve --store URL --port PORT`` subprocess; restartable on the same port."""

    def __init__(self, home: Path, store_url: str, port: int) -> None:
        self.home, self.store_url, self.port = home, store_url, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (its output goes to ``home``/serve.log)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("SESSIONOPTIMIZER_STRICT", None)
        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "sessionoptimizer_sdk.cli", "--home", str(self.home), "serve"]
        with (self.home / "serve.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [*cmd, "--store", self.store_url, "--port", str(self.port), "--poll-interval", "0.2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        """True once the server answers its read API."""
        try:
            return httpx.get(f"{self.url}/api/sessions", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, requests in flight are cut."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM and wait; the exit code (None when it was never started)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
