"""Shared fixtures: a private store per test, an optimizer on a real OTel SDK provider exporting to memory."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sessionoptimizer_sdk import SessionOptimizer
from tests import _pg
from tests._paths import FIXTURES, REPO_ROOT

__all__ = ["FIXTURES", "REPO_ROOT"]

# Shared 2-core CI machines are slow and noisy: judge properties by their examples, not by wall-clock time.
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """Stop with one clear message when the shared transcripts are missing (not errors while collecting)."""
    if not FIXTURES.is_dir():
        raise pytest.UsageError(
            f"test fixtures not found at {FIXTURES}: check out the shared material beside the repository "
            "(../shared) or set SESSIONOPTIMIZER_SHARED to its folder"
        )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own store folder; SDK internal errors are raised, never silently swallowed."""
    home = tmp_path / "so-home"
    monkeypatch.setenv("SESSIONOPTIMIZER_HOME", str(home))
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # the genai-prices rate table
    monkeypatch.delenv("SESSIONOPTIMIZER_STORE", raising=False)
    for var in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(autouse=True)
def _gc_left_as_found() -> Iterator[None]:
    """Never break the host: no test leaves the cyclic GC disabled (the analysis pauses it, then must restore it)."""
    was = gc.isenabled()
    yield
    if was and not gc.isenabled():
        gc.enable()
        pytest.fail("the cyclic garbage collector was left disabled")


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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL: ``$SESSIONOPTIMIZER_TEST_PG``, else a throwaway cluster started for the session.

    Without PostgreSQL binaries the tests that need it skip with one reason (and fail under ``CI=true``).
    """
    existing = os.environ.get("SESSIONOPTIMIZER_TEST_PG")
    if existing:
        yield existing
        return
    bindir = _pg.find_pg_bin()
    if bindir is None:
        reason = "PostgreSQL binaries not found (PATH, /usr/lib/postgresql/*/bin): apt-get install postgresql"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = _pg.PgCluster(bindir)
    try:
        cluster.init()
        cluster.start()
    except Exception:
        cluster.destroy()
        raise
    _PG_CLUSTERS.append(cluster)
    try:
        yield cluster.url
    finally:
        cluster.destroy()


_PG_CLUSTERS: list[_pg.PgCluster] = []


@pytest.fixture
def pg_cluster(pg_server: str) -> _pg.PgCluster:
    """The session's own cluster, for fault tests that restart it (skips against an external server)."""
    if not _PG_CLUSTERS:
        pytest.skip("the PostgreSQL server is external (SESSIONOPTIMIZER_TEST_PG): cannot restart it")
    return _PG_CLUSTERS[0]


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A URL to a fresh, empty schema of the test PostgreSQL server, dropped after the test."""
    name, url = _pg.create_schema(pg_server)
    try:
        yield url
    finally:
        _pg.drop_schema(pg_server, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL for each backend: a SQLite file in the test folder, then a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'so-store' / 'so.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def backend_env(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs the test once per backend with ``SESSIONOPTIMIZER_STORE`` set (inherited by subprocesses)."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STORE", store_url)
    return store_url
