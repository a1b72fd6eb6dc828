"""The span fast path: used only when our processor is alone, and indistinguishable in what it stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sessionoptimizer_sdk import EventType, SessionOptimizer
from sessionoptimizer_sdk.processing.lite import LiteSpan


def _record(opt: SessionOptimizer, payloads: list[str]) -> tuple[str, list[type]]:
    """Run the same tool calls (ok, failing, file read, generator) in a session; return its id and span types."""
    seen: list[type] = []

    @opt.tool("grep")
    def grep(pattern: str) -> str:
        seen.append(type(trace.get_current_span()))
        return pattern * 2

    @opt.tool("read", event_type=EventType.FILE_READ)
    def read(path: str) -> str:
        return path.upper()

    @opt.tool("boom")
    def boom() -> None:
        raise PermissionError("no")

    @opt.tool("lines")
    def lines(n: int) -> Iterator[int]:
        yield from range(n)

    with opt.session("ATLAS", "Lite path", model="sonnet") as s:
        for text in payloads:
            grep(text)
            read(f"/src/{text}.py")
            assert list(lines(len(text))) == list(range(len(text)))
        with pytest.raises(PermissionError):
            boom()
    return s.id, seen


def _comparable(opt: SessionOptimizer, sid: str) -> list[str]:
    """Stored events minus what differs by nature between runs (ids, clocks)."""
    return sorted(
        repr((e.event_type.value, e.name, e.is_error, e.error_type, e.tokens_input, sorted(e.data.items())))
        for e in opt.get_events(sid)
    )


@settings(max_examples=10, deadline=None)
@given(payloads=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4))
def test_lite_path_stores_exactly_what_sdk_spans_store(
    tmp_path_factory: pytest.TempPathFactory, payloads: list[str]
) -> None:
    """With no other processor, tool calls become lite spans yet store the same rows and totals as SDK spans."""
    lite = SessionOptimizer(tmp_path_factory.mktemp("lite"))
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    full = SessionOptimizer(tmp_path_factory.mktemp("full"), tracer_provider=provider)
    try:
        lite_id, lite_spans = _record(lite, payloads)
        full_id, full_spans = _record(full, payloads)
        assert set(lite_spans) == {LiteSpan}
        assert LiteSpan not in set(full_spans)
        assert _comparable(lite, lite_id) == _comparable(full, full_id)
        assert lite.get_session(lite_id).tokens == full.get_session(full_id).tokens
        assert lite.get_session(lite_id).event_count == full.get_session(full_id).event_count
    finally:
        lite.shutdown(10)
        full.shutdown(10)


def test_lite_spans_keep_sdk_parentage_for_nested_spans(home: Path) -> None:
    """A span an instrumentor starts inside a tool is the tool span's child, in the session's trace."""
    opt = SessionOptimizer(home)
    other = opt.tracer_provider.get_tracer("instrumentor")
    captured: dict[str, Any] = {}

    @opt.tool("ask")
    def ask() -> str:
        tool_ctx = trace.get_current_span().get_span_context()
        with other.start_as_current_span("chat gpt") as child:
            captured["child_parent"] = child.parent.span_id if child.parent else None  # type: ignore[attr-defined]
        captured["tool"] = tool_ctx
        return "ok"

    try:
        with opt.session("ATLAS", "Nesting", model="sonnet") as s:
            ask()
        session = opt.get_session(s.id)
        tool_ctx = captured["tool"]
        assert f"{tool_ctx.trace_id:032x}" == session.trace_id
        assert tool_ctx.trace_flags.sampled
        assert captured["child_parent"] == tool_ctx.span_id
    finally:
        opt.shutdown(10)


def test_adding_an_exporter_switches_back_to_sdk_spans(home: Path) -> None:
    """Once another processor joins our private provider, tool calls are real spans that processor receives."""
    opt = SessionOptimizer(home)
    exporter = InMemorySpanExporter()

    @opt.tool("grep")
    def grep() -> str:
        return "hit"

    try:
        with opt.session("ATLAS", "Exporter added", model="sonnet") as s:
            grep()
            opt.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
            grep()
        names = [span.name for span in exporter.get_finished_spans()]
        assert names.count("execute_tool grep") == 1
        assert [e.name for e in opt.get_events(s.id)] == ["grep", "grep"]
    finally:
        opt.shutdown(10)
