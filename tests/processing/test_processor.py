"""The span processor on the application's provider: attaches without replacing, filters, never breaks the host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from sessionoptimizer_sdk import EventType, SessionOptimizer, SessionStatus


def test_attaches_to_application_provider_and_keeps_its_exporters(
    optimizer: SessionOptimizer, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    """Our spans flow through the application's provider to its own exporter, and the global is untouched."""
    before = trace.get_tracer_provider()
    assert optimizer.tracer_provider is tracer_provider
    with optimizer.session("ATLAS", "Build", model="sonnet") as s:
        s.log(EventType.AI_RESPONSE, tokens_output=3)
    assert {sp.name for sp in span_exporter.get_finished_spans()} >= {"invoke_agent ATLAS"}
    assert trace.get_tracer_provider() is before


def test_sampled_out_spans_are_still_stored(home: Path) -> None:
    """An application sampler that drops every span does not lose a single stored event."""
    provider = TracerProvider(sampler=ALWAYS_OFF)
    opt = SessionOptimizer(home, tracer_provider=provider)

    @opt.tool("grep")
    def grep() -> str:
        return "hit"

    try:
        with opt.session("ATLAS", "Sampled out", model="sonnet") as s:
            s.log(EventType.AI_RESPONSE, tokens_input=7, tokens_output=3)
            grep()
        session = opt.get_session(s.id)
        assert session.status is SessionStatus.COMPLETED
        assert session.event_count == 2 and session.tokens.input_tokens == 7
        assert {e.event_type for e in opt.get_events(s.id)} == {EventType.AI_RESPONSE, EventType.TOOL_CALL}
    finally:
        opt.shutdown()
        provider.shutdown()


def test_two_optimizers_on_one_provider_do_not_cross_store(
    tmp_path: Path, tracer_provider: TracerProvider
) -> None:
    """Two optimizers with different stores on one provider each store only their own sessions."""
    a = SessionOptimizer(tmp_path / "a", tracer_provider=tracer_provider)
    b = SessionOptimizer(tmp_path / "b", tracer_provider=tracer_provider)
    try:
        with a.session("FORGE", "A", model="opus") as sa:
            sa.log(EventType.AI_RESPONSE, tokens_output=1)
        with b.session("ATLAS", "B", model="sonnet") as sb:
            sb.log(EventType.AI_RESPONSE, tokens_output=1)
        assert [s.id for s in a.list_sessions()] == [sa.id]
        assert [s.id for s in b.list_sessions()] == [sb.id]
        assert a.store.count_events() == 1 and b.store.count_events() == 1
    finally:
        a.shutdown()
        b.shutdown()


def test_store_failure_never_reaches_agent_code(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the store cannot be written, decorated tools and logging keep working; the failure is only logged."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")
    opt = SessionOptimizer(home)

    @opt.tool("compute")
    def compute(x: int) -> int:
        return x * 2

    try:
        with opt.session("ATLAS", "Broken disk", model="sonnet") as s:

            def broken(*args: object, **kwargs: object) -> None:
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(opt.store, "write_batch", broken)
            assert compute(21) == 42
            s.log(EventType.AI_RESPONSE, tokens_output=5)
            assert opt.flush(timeout=10) is False  # issue 15.4: events were lost, flush must say so
        assert compute(1) == 2
    finally:
        monkeypatch.undo()
        opt.shutdown()
    assert opt._recorder.writer.failed_batches >= 1
    assert os.path.exists(home / "sessionoptimizer.db")


def test_processor_swallows_internal_errors(
    optimizer: SessionOptimizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault inside the processor is logged, not raised into the code that ended the span."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")

    def explode(item: object) -> None:
        raise RuntimeError("queue broke")

    monkeypatch.setattr(optimizer._recorder.writer, "put", explode)
    tracer = optimizer.tracer_provider.get_tracer("app")
    with optimizer.session("ATLAS", "x", model="sonnet") as s:
        s.log(EventType.AI_RESPONSE, tokens_output=1)
        with tracer.start_as_current_span("app work"):
            pass


_GLOBAL_PROVIDER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sessionoptimizer_sdk import SessionOptimizer, EventType

exporter = InMemorySpanExporter()
app_provider = TracerProvider()
app_provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(app_provider)

opt = SessionOptimizer()
assert opt.tracer_provider is app_provider, "did not attach to the global provider"
with opt.session("ATLAS", "global provider", model="sonnet") as s:
    s.log(EventType.AI_RESPONSE, tokens_output=7)
assert trace.get_tracer_provider() is app_provider, "replaced the global provider"
names = sorted(span.name for span in exporter.get_finished_spans())
assert opt.get_session(s.id).tokens.output_tokens == 7
print(",".join(names))
"""


def test_attaches_to_the_globally_configured_provider(home: Path) -> None:
    """With an SDK provider installed globally, our spans go through it (and its exporter) and it stays global."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _GLOBAL_PROVIDER],
        env={**os.environ, "SESSIONOPTIMIZER_HOME": str(home), "SESSIONOPTIMIZER_AUTO_ANALYZE": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "invoke_agent ATLAS,sessionoptimizer.event AI_RESPONSE"


def test_store_failing_at_session_start_never_reaches_agent_code(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that cannot be written when a session starts or ends: the agent's block, tools and logs all run."""
    import sqlite3

    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")
    opt = SessionOptimizer(home)

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    @opt.tool("compute")
    def compute(x: int) -> int:
        return x + 1

    try:
        monkeypatch.setattr(opt.store, "create_session", broken)
        monkeypatch.setattr(opt.store, "find_session", broken)
        monkeypatch.setattr(opt.store, "write_batch", broken)
        with opt.session("ATLAS", "Disk died", model="sonnet") as s:
            assert compute(1) == 2
            s.log(EventType.AI_RESPONSE, tokens_output=3)
        explicit = opt.start_session("ATLAS", "Disk still dead")
        assert opt.end_session(explicit.id).status is SessionStatus.COMPLETED
        assert s.id
    finally:
        monkeypatch.undo()
        opt.shutdown()
