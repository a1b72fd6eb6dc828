"""Items per request are bounded (413 before the work is done) and decoding never blocks the event loop."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Gauge,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
)

from sessionoptimizer_sdk.server.ingest import IngestConfig, Limits
from sessionoptimizer_sdk.server.runner import serve_in_thread
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

from .conftest import TeamServer
from .payloads import event_span, otlp_json, traces

PB = {"Content-Type": "application/x-protobuf"}
GZ = {"Content-Encoding": "gzip"}
DOCUMENTED_LIMIT = 65_536  # docs/team-server.md, Limits


def _refused_as_too_many(server: TeamServer, response: httpx.Response) -> None:
    """413 payload_too_large naming the item limit; nothing stored."""
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    assert f"more than {DOCUMENTED_LIMIT} items" in response.json()["detail"]
    assert server.store.count_sessions() == 0
    assert server.store.count_events() == 0


def test_protobuf_of_empty_log_records_past_the_limit_is_413_at_once(team_server: TeamServer):
    """A small gzip body of 100,000 empty log records is refused before they are parsed."""
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=[LogRecord()] * 100_000)])]
    )
    body = gzip.compress(request.SerializeToString())
    r = httpx.post(f"{team_server.url}/v1/logs", content=body, headers={**PB, **GZ}, timeout=30)
    _refused_as_too_many(team_server, r)


def test_json_of_empty_spans_past_the_limit_is_413(team_server: TeamServer):
    """OTLP/JSON with 70,000 empty spans is refused before any span object is built."""
    raw = b'{"resourceSpans":[{"scopeSpans":[{"spans":[' + b",".join([b"{}"] * 70_000) + b"]}]}]}"
    r = httpx.post(
        f"{team_server.url}/v1/traces",
        content=gzip.compress(raw),
        headers={"Content-Type": "application/json", **GZ},
        timeout=30,
    )
    _refused_as_too_many(team_server, r)


def test_metrics_with_too_many_data_points_are_413(team_server: TeamServer):
    """A metrics export of one gauge with 70,000 data points is refused like spans and log records."""
    gauge = Metric(name="g", gauge=Gauge(data_points=[NumberDataPoint()] * 70_000))
    request = ExportMetricsServiceRequest(
        resource_metrics=[ResourceMetrics(scope_metrics=[ScopeMetrics(metrics=[gauge])])]
    )
    r = httpx.post(
        f"{team_server.url}/v1/metrics", content=request.SerializeToString(), headers=PB, timeout=30
    )
    _refused_as_too_many(team_server, r)


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[TeamServer]:
    """A server allowing 60 items per request."""
    home = tmp_path / "limited"
    with serve_in_thread(home, ingest=IngestConfig(limits=Limits(max_items=60))) as url:
        store = SQLiteStore(home / "sessionoptimizer.db")
        yield TeamServer(home, url, store)
        store.close()


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
def test_requests_under_the_limit_pass_and_over_it_are_refused(limited_server: TeamServer, encoding: str):
    """50 spans (53 items with their resource and scope entries) are stored; 70 spans are 413, none stored."""

    def post(sid: str, n: int) -> httpx.Response:
        request = traces(*[event_span(sid, i) for i in range(n)])
        if encoding == "json":
            return httpx.post(
                f"{limited_server.url}/v1/traces",
                content=otlp_json(request),
                headers={"Content-Type": "application/json"},
            )
        return httpx.post(f"{limited_server.url}/v1/traces", content=request.SerializeToString(), headers=PB)

    assert post("under", 50).status_code == 200
    over = post("over", 70)
    assert over.status_code == 413 and "more than 60 items" in over.json()["detail"], over.text
    assert limited_server.store.count_events("under") == 50
    assert limited_server.store.find_session("over") is None


def test_health_answers_while_a_large_request_decodes(team_server: TeamServer):
    """While a large OTLP/JSON body (20,000 records) decodes, /api/health answers promptly (off the loop)."""
    record = {
        "timeUnixNano": "1",
        "body": {"stringValue": "x"},
        "attributes": [{"key": "event.name", "value": {"stringValue": "nothing"}}],
    }
    doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record] * 20_000}]}]}
    body = gzip.compress(json.dumps(doc).encode())
    done: dict[str, float] = {}

    def ingest() -> None:
        httpx.post(
            f"{team_server.url}/v1/logs",
            content=body,
            headers={"Content-Type": "application/json", **GZ},
            timeout=60,
        )
        done["ingest"] = time.monotonic()

    worker = threading.Thread(target=ingest)
    worker.start()
    time.sleep(0.1)  # the request is being decoded (it takes most of a second)
    assert "ingest" not in done
    started = time.monotonic()
    assert httpx.get(f"{team_server.url}/api/health", timeout=30).status_code == 200
    answered = time.monotonic()
    worker.join()
    assert answered - started < 0.25
    assert answered < done["ingest"]
