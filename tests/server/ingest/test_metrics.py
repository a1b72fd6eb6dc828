"""``POST /v1/metrics``: Claude Code metrics are accepted (protobuf, JSON, gzip), authorised, counted, not stored."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import httpx
from google.protobuf.json_format import MessageToJson
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

from sessionoptimizer_sdk.server.ingest import new_token
from sessionoptimizer_sdk.server.ingest.metrics import MetricsCount, MetricsTally, count_metrics

from . import claude_metrics
from .conftest import PUBLIC_ON_BOTH, TEAM_ON_BOTH, TeamServer

SCRIPT = Path(claude_metrics.__file__)
PB = {"Content-Type": "application/x-protobuf"}


def _export(server: TeamServer, agent: str = "CLIO", token: str = "") -> str:
    """Run the real OTel SDK metrics exporter in its own process; its export result (SUCCESS/FAILURE)."""
    headers = f"Authorization=Bearer {token}" if token else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), f"{server.url}/v1/metrics", agent, headers],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _request(agent: str = "CLIO") -> ExportMetricsServiceRequest:
    """The metrics request the OTel SDK's own OTLP encoder builds for one Claude Code export."""
    reader = InMemoryMetricReader(preferred_temporality={Counter: AggregationTemporality.DELTA})
    provider = MeterProvider(metric_readers=[reader], resource=claude_metrics.resource(agent))
    claude_metrics.record(provider)
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    request: ExportMetricsServiceRequest = encode_metrics(data)
    return request


@TEAM_ON_BOTH
def test_claude_code_metrics_export_succeeds_and_stores_nothing(team_server: TeamServer):
    """The real OTLP metrics exporter gets a success (no more 404s) and no session or event is created."""
    assert _export(team_server) == "SUCCESS"
    assert team_server.store.count_sessions() == 0
    assert team_server.store.count_events() == 0


def test_metrics_data_points_are_counted_per_metric_name():
    """Every documented Claude Code metric is counted with its number of data points (one per attribute set)."""
    count = count_metrics(_request())
    assert count.points == {
        "claude_code.session.count": 1,
        "claude_code.token.usage": 4,
        "claude_code.cost.usage": 1,
        "claude_code.lines_of_code.count": 2,
        "claude_code.active_time.total": 2,
        "claude_code.code_edit_tool.decision": 1,
        "claude_code.commit.count": 1,
    }
    assert count.total == 12
    assert count.agents == frozenset({"CLIO"})


def test_metrics_in_json_and_gzip_are_answered_in_the_request_encoding(team_server: TeamServer):
    """OTLP/JSON gzip gets a JSON answer, protobuf gzip a protobuf answer; both 200 with no rejection."""
    url = f"{team_server.url}/v1/metrics"
    as_json = gzip.compress(MessageToJson(_request()).encode())
    r = httpx.post(
        url, content=as_json, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    assert (r.status_code, r.headers["content-type"], r.json()) == (200, "application/json", {})
    as_pb = gzip.compress(_request().SerializeToString())
    r = httpx.post(url, content=as_pb, headers={**PB, "Content-Encoding": "gzip"})
    assert (r.status_code, r.headers["content-type"]) == (200, "application/x-protobuf")
    assert not ExportMetricsServiceResponse.FromString(r.content).HasField("partial_success")
    assert team_server.store.count_events() == 0


def test_bad_metrics_requests_get_the_same_errors_as_logs(team_server: TeamServer):
    """Undecodable body 400, wrong content type 415, unknown encoding 415: JSON error bodies, server still up."""
    url = f"{team_server.url}/v1/metrics"
    r = httpx.post(url, content=b"\xff\xff\xff\x0fnot protobuf", headers=PB)
    assert (r.status_code, r.json()["error"]) == (400, "undecodable")
    r = httpx.post(url, content=_request().SerializeToString(), headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.json()["error"]) == (415, "unsupported_media_type")
    r = httpx.post(url, content=b"x", headers={**PB, "Content-Encoding": "br"})
    assert (r.status_code, r.json()["error"]) == (415, "unsupported_encoding")
    assert httpx.get(f"{team_server.url}/api/health").status_code == 200


@PUBLIC_ON_BOTH
def test_public_metrics_need_the_agents_own_ingest_token(public_server: TeamServer):
    """No token: 401; FORGE's token for CLIO's metrics: 403 forbidden_agent; CLIO's token: the export succeeds."""
    _, forge = new_token(public_server.store, "ingest", "FORGE")
    _, clio = new_token(public_server.store, "ingest", "CLIO")
    url = f"{public_server.url}/v1/metrics"
    body = _request("CLIO").SerializeToString()
    assert httpx.post(url, content=body, headers=PB).status_code == 401
    r = httpx.post(url, content=body, headers={**PB, "Authorization": f"Bearer {forge}"})
    assert (r.status_code, r.json()["error"]) == (403, "forbidden_agent")
    assert _export(public_server, "CLIO", forge) == "FAILURE"
    assert _export(public_server, "CLIO", clio) == "SUCCESS"
    assert public_server.store.count_events() == 0


def test_the_metrics_tally_is_bounded_whatever_names_clients_send():
    """Past 1,000 distinct metric names, further names are counted under "other": memory stays bounded."""
    tally = MetricsTally()
    assert tally.add(MetricsCount({f"m{i}": 2 for i in range(1_000)}, frozenset())) == [
        f"m{i}" for i in range(1_000)
    ]
    assert tally.add(MetricsCount({"m5": 1, "late-1": 3, "late-2": 4}, frozenset())) == []
    snapshot = tally.snapshot()
    assert len(snapshot) == 1_001  # 1,000 names + "other"
    assert (snapshot["m5"], snapshot["other"]) == (3, 7)
