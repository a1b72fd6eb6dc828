"""The tool decorator: identical behaviour to the undecorated callable, one execute_tool span per call in a session."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Generator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from sessionoptimizer_sdk import EventType, SessionOptimizer


def _tool_spans(exporter: InMemorySpanExporter) -> list[object]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("execute_tool")]


def test_sync_tool_records_span_and_event(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """A decorated call in a session returns its value and is stored as a TOOL_CALL with the tool name."""

    @optimizer.tool("pytest")
    def run_tests(target: str, *, verbose: bool = False) -> str:
        """Run the tests."""
        return f"ran {target} {verbose}"

    with optimizer.session("ATLAS", "Build", model="sonnet") as s:
        assert run_tests("tests/", verbose=True) == "ran tests/ True"
    (span,) = _tool_spans(span_exporter)
    assert span.name == "execute_tool pytest"  # type: ignore[attr-defined]
    assert span.attributes["gen_ai.tool.name"] == "pytest"  # type: ignore[attr-defined]
    assert span.attributes["gen_ai.operation.name"] == "execute_tool"  # type: ignore[attr-defined]
    (event,) = optimizer.get_events(s.id)
    assert event.event_type is EventType.TOOL_CALL and event.name == "pytest"
    assert event.duration_ms is not None and event.duration_ms >= 0
    assert len(event.data["args_sha256"]) == 16 and event.data["result_tokens"] >= 1


def test_no_session_means_plain_call_and_no_span(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """Outside any session the decorated function is called directly: no span, no event."""

    @optimizer.tool
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5
    assert _tool_spans(span_exporter) == []
    assert optimizer.store.count_events() == 0


def test_signature_and_metadata_preserved(optimizer: SessionOptimizer) -> None:
    """inspect.signature, __name__, __doc__ and help() see the original function."""

    def read_file(path: str, offset: int = 0, *, limit: int | None = None) -> str:
        """Read a file."""
        return path

    decorated = optimizer.tool("read")(read_file)
    assert inspect.signature(decorated) == inspect.signature(read_file)
    assert decorated.__name__ == "read_file" and decorated.__doc__ == "Read a file."
    assert inspect.iscoroutinefunction(decorated) is False


def test_exception_passes_through_unchanged_and_marks_span(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """The tool's own exception reaches the caller as the same object; the span has error status and error.type."""
    err = ValueError("bad arg")

    @optimizer.tool("compile")
    def compile_it() -> None:
        raise err

    with optimizer.session("BOLT", "Build", model="grok") as s:
        with pytest.raises(ValueError) as caught:
            compile_it()
        assert caught.value is err
    (span,) = _tool_spans(span_exporter)
    assert span.status.status_code is StatusCode.ERROR  # type: ignore[attr-defined]
    assert span.attributes["error.type"] == "ValueError"  # type: ignore[attr-defined]
    (event,) = optimizer.get_events(s.id)
    assert event.is_error and event.error_type == "ValueError" and "error_kind" not in event.data
    assert optimizer.analyze(s.id).metrics["agent_errors"] == 1  # classified by the analysis: an agent error


def test_async_tool(optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter) -> None:
    """An async tool stays a coroutine function and records its real duration."""

    @optimizer.tool("fetch")
    async def fetch(n: int) -> int:
        await asyncio.sleep(0.01)
        return n * 2

    assert inspect.iscoroutinefunction(fetch)

    async def main() -> int:
        async with optimizer.session("NEXUS", "Fetch", model="sonnet"):
            return await fetch(21)

    assert asyncio.run(main()) == 42
    (span,) = _tool_spans(span_exporter)
    assert (span.end_time - span.start_time) >= 9_000_000  # type: ignore[attr-defined]


def test_generator_tool_spans_iteration_and_forwards_send(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """A generator tool yields the same items, supports send(), and its span covers the whole iteration."""

    @optimizer.tool("stream")
    def echo() -> Generator[int, int, None]:
        received = 0
        while received < 3:
            received = yield received + 1
        return

    assert inspect.isgeneratorfunction(echo)
    with optimizer.session("ATLAS", "Stream", model="sonnet"):
        gen = echo()
        assert _tool_spans(span_exporter) == []  # nothing recorded before iteration starts
        assert next(gen) == 1
        assert gen.send(1) == 2
        with pytest.raises(StopIteration):
            gen.send(3)
    assert len(_tool_spans(span_exporter)) == 1


def test_generator_closed_early_still_ends_span(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """Abandoning a generator tool after one item ends its span without an error."""

    @optimizer.tool("lines")
    def lines() -> Generator[str, None, None]:
        yield from ("a", "b", "c")

    with optimizer.session("ATLAS", "Stream", model="sonnet"):
        gen = lines()
        assert next(gen) == "a"
        gen.close()
    (span,) = _tool_spans(span_exporter)
    assert span.status.status_code is not StatusCode.ERROR  # type: ignore[attr-defined]


def test_async_generator_tool(optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter) -> None:
    """An async generator tool yields the same items and records one span; its errors propagate unchanged."""

    @optimizer.tool("chunks")
    async def chunks(n: int) -> AsyncIterator[int]:
        for i in range(n):
            yield i
        raise KeyError("done badly")

    assert inspect.isasyncgenfunction(chunks)

    async def main() -> list[int]:
        got: list[int] = []
        async with optimizer.session("ATLAS", "Chunks", model="sonnet"):
            try:
                async for item in chunks(3):
                    got.append(item)
            except KeyError:
                got.append(-1)
        return got

    assert asyncio.run(main()) == [0, 1, 2, -1]
    (span,) = _tool_spans(span_exporter)
    assert span.attributes["error.type"] == "KeyError"  # type: ignore[attr-defined]


def test_methods_classmethods_staticmethods(optimizer: SessionOptimizer) -> None:
    """Instance, class and static methods keep their binding when decorated."""

    class Repo:
        factor = 3

        def __init__(self) -> None:
            self.base = 10

        @optimizer.tool("grep")
        def grep(self, x: int) -> int:
            return self.base + x

        @optimizer.tool("scale")
        @classmethod
        def scale(cls, x: int) -> int:
            return cls.factor * x

        @optimizer.tool("pure")
        @staticmethod
        def pure(x: int) -> int:
            return -x

    repo = Repo()
    with optimizer.session("ATLAS", "Methods", model="sonnet") as s:
        assert repo.grep(1) == 11
        assert Repo.scale(2) == 6 and repo.scale(2) == 6
        assert Repo.pure(4) == -4 and repo.pure(4) == -4
    names = [e.name for e in optimizer.get_events(s.id)]
    assert names == ["grep", "scale", "scale", "pure", "pure"]


def test_nested_tools_nest_spans(optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter) -> None:
    """A tool called inside another tool is recorded as its child span."""

    @optimizer.tool("inner")
    def inner() -> int:
        return 1

    @optimizer.tool("outer")
    def outer() -> int:
        return inner() + 1

    with optimizer.session("ATLAS", "Nest", model="sonnet"):
        assert outer() == 2
    spans = {s.name: s for s in _tool_spans(span_exporter)}  # type: ignore[attr-defined]
    assert spans["execute_tool inner"].parent.span_id == spans["execute_tool outer"].context.span_id  # type: ignore[attr-defined]


def test_file_read_tool_records_path(optimizer: SessionOptimizer) -> None:
    """A tool declared as FILE_READ stores the path it read (not its content)."""

    @optimizer.tool("read", event_type=EventType.FILE_READ)
    def read(path: str) -> str:
        return "x" * 400

    with optimizer.session("ATLAS", "Read", model="sonnet") as s:
        read("src/app.py")
    (event,) = optimizer.get_events(s.id)
    assert event.event_type is EventType.FILE_READ
    assert event.data["file_path"] == "src/app.py" and event.data["result_tokens"] == 100
    assert "xxxx" not in str(dict(event.data))


def test_failing_test_tool_is_classified_as_test_failure(optimizer: SessionOptimizer) -> None:
    """A decorated pytest tool that raises is a test failure for the analysis, a TimeoutError a timeout."""

    @optimizer.tool("pytest")
    def run_tests() -> None:
        raise RuntimeError("2 failed, 10 passed")

    @optimizer.tool("fetch")
    def fetch() -> None:
        raise TimeoutError("no answer")

    with optimizer.session("ATLAS", "Kinds", model="sonnet") as s:
        for tool in (run_tests, fetch):
            with pytest.raises((RuntimeError, TimeoutError)):
                tool()
    events = optimizer.get_events(s.id)
    assert events[1].data["error_kind"] == "timeout"
    from sessionoptimizer_sdk.analysis.errorkinds import classify_error

    first = events[0]
    kind = classify_error(
        error_type=first.error_type, error_kind=first.data.get("error_kind"), tool=first.name
    )
    assert kind.value == "test_failure"


def test_file_tool_path_is_found_by_signature(optimizer: SessionOptimizer) -> None:
    """A FILE_READ tool's path is the ``path``/``file_path`` parameter wherever it sits, also on methods."""

    @optimizer.tool("read", event_type=EventType.FILE_READ)
    def read(encoding: str, file_path: str) -> str:
        return "x" * 8

    class Repo:
        @optimizer.tool("open", event_type=EventType.FILE_READ)
        def open(self, path: str) -> str:
            return "y" * 8

    with optimizer.session("ATLAS", "Read", model="sonnet") as s:
        read("utf-8", "src/a.py")
        read("utf-8", file_path="src/b.py")
        Repo().open("src/c.py")
    paths = [e.data["file_path"] for e in optimizer.get_events(s.id)]
    assert paths == ["src/a.py", "src/b.py", "src/c.py"]


def test_a_context_the_tool_attached_and_left_survives_the_call(optimizer: SessionOptimizer) -> None:
    """Baggage a tool attaches for the rest of a request stays current after it returns, as without the SDK."""
    from opentelemetry import baggage, trace
    from opentelemetry import context as otel_context

    def begin_request(user: str) -> object:
        return otel_context.attach(baggage.set_baggage("user", user))

    results = {}
    for name, fn in (("plain", begin_request), ("decorated", optimizer.tool(begin_request))):
        with optimizer.session("ATLAS", name, model="sonnet"):
            caller = trace.get_current_span()
            token = fn("alice")
            results[name] = (baggage.get_baggage("user"), trace.get_current_span() is caller)
            otel_context.detach(token)  # type: ignore[arg-type]
    assert results["decorated"] == results["plain"] == ("alice", True)
