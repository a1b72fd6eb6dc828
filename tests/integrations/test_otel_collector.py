"""The OpenTelemetry Collector config: receives OTLP on loopback and wires every pipeline to defined parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

CONFIG = Path(__file__).resolve().parents[2] / "integrations" / "otel-collector" / "collector.yaml"


def _load() -> dict[str, Any]:
    data = yaml.safe_load(CONFIG.read_text())
    assert isinstance(data, dict)
    return data


def test_otlp_receiver_listens_on_loopback_where_the_sdk_exports() -> None:
    """OTLP/HTTP on 127.0.0.1:4318 (the SDK's OTEL_EXPORTER_OTLP_ENDPOINT) and gRPC on 4317, never 0.0.0.0."""
    protocols = _load()["receivers"]["otlp"]["protocols"]
    assert protocols["http"]["endpoint"] == "127.0.0.1:4318"
    assert protocols["grpc"]["endpoint"] == "127.0.0.1:4317"


def test_every_pipeline_component_is_defined() -> None:
    """Each receiver, processor, exporter and extension a pipeline names is configured (the collector's own check)."""
    config = _load()
    service = config["service"]
    assert set(service["extensions"]) <= set(config["extensions"])
    for name, pipeline in service["pipelines"].items():
        assert name.split("/")[0] == "traces"
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(config[kind]), (name, kind)
    assert (
        service["pipelines"]["traces/sessions"]["processors"][0] == "memory_limiter"
    )  # first, as documented
