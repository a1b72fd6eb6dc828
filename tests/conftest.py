"""Shared fixtures: a private store per test, an optimizer on a real OTel SDK provider exporting to memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sessionoptimizer_sdk import SessionOptimizer
from tests._paths import FIXTURES, REPO_ROOT

__all__ = ["FIXTURES", "REPO_ROOT"]

# Shared 2-core CI machines are slow and noisy: judge properties by their examples, not by wall-clock time.
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own store folder; SDK internal errors are raised, never silently swallowed."""
    home = tmp_path / "so-home"
    monkeypatch.setenv("SESSIONOPTIMIZER_HOME", str(home))
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "1")
    for var in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    """The test's store folder (``$SESSIONOPTIMIZER_HOME``)."""
    return _isolated_home


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    """Collects every finished span of the test's provider."""
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(span_exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """An application-owned SDK provider exporting to memory (never installed globally)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def optimizer(home: Path, tracer_provider: TracerProvider) -> Iterator[SessionOptimizer]:
    """A SessionOptimizer on a real SQLite store in the test's folder, attached to ``tracer_provider``."""
    opt = SessionOptimizer(home, tracer_provider=tracer_provider)
    yield opt
    opt.shutdown(timeout=10)
