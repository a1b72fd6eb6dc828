"""Sessions as root spans: lifecycle, stored totals, span attributes and the explicit API of the spec."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from sessionoptimizer_sdk import EventType, SessionOptimizer, SessionStatus
from tests._store import store_for


def test_with_session_stores_events_and_totals(optimizer: SessionOptimizer) -> None:
    """Events logged inside `with optimizer.session(...)` are stored with non-overlapping token totals."""
    with optimizer.session("ATLAS", "Build SessionOptimizer", model="sonnet") as s:
        s.log(EventType.FILE_READ, data={"file_path": "big.py", "compressed": True}, tokens_input=2400)
        s.log(EventType.AI_RESPONSE, tokens_input=100, tokens_output=2000, cache_read_tokens=5000)
        s.log(EventType.THINKING, tokens_output=800)
    session = optimizer.get_session(s.id)
    assert session.status is SessionStatus.COMPLETED
    assert session.status.value == "COMPLETED"
    assert session.event_count == 3
    assert session.tokens.input_tokens == 2500
    assert session.tokens.output_tokens == 2800
    assert session.tokens.cache_read_tokens == 5000
    assert session.tokens.reasoning_tokens == 800
    assert session.ended_at is not None and session.ended_at >= session.started_at
    events = optimizer.get_events(s.id)
    assert [e.event_type for e in events] == [EventType.FILE_READ, EventType.AI_RESPONSE, EventType.THINKING]
    assert events[0].data["file_path"] == "big.py"


def test_session_is_active_in_store_the_moment_it_starts(optimizer: SessionOptimizer, home: Path) -> None:
    """Another connection to the store sees the session as ACTIVE before any event is flushed."""
    with optimizer.session("FORGE", "Plan", model="opus") as s:
        other = store_for(home)
        seen = other.get_session(s.id)
        assert seen.status is SessionStatus.ACTIVE
        assert seen.agent == "FORGE" and seen.model == "opus"


def test_exception_in_block_marks_failed_and_propagates_same_object(optimizer: SessionOptimizer) -> None:
    """An exception leaving the block ends the session FAILED and reaches the caller unchanged."""
    boom = RuntimeError("agent crashed")
    with pytest.raises(RuntimeError) as caught, optimizer.session("BOLT", "Execute task", model="grok") as s:
        raise boom
    assert caught.value is boom
    assert optimizer.get_session(s.id).status is SessionStatus.FAILED


def test_async_with_session(optimizer: SessionOptimizer) -> None:
    """`async with optimizer.session(...)` records and ends the session like the sync form."""

    async def main() -> str:
        async with optimizer.session("NEXUS", "Analyse", model="sonnet") as s:
            s.log(EventType.AI_RESPONSE, tokens_output=10)
            await asyncio.sleep(0)
        return s.id

    sid = asyncio.run(main())
    session = optimizer.get_session(sid)
    assert session.status is SessionStatus.COMPLETED and session.tokens.output_tokens == 10


def test_spans_follow_genai_conventions(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """The session is a root invoke_agent span; events are its children with gen_ai usage attributes."""
    with optimizer.session("ATLAS", "Build", model="sonnet") as s:
        s.log(
            EventType.AI_RESPONSE,
            tokens_input=10,
            tokens_output=20,
            cache_read_tokens=30,
            cache_write_tokens=40,
        )
    spans = {span.name: span for span in span_exporter.get_finished_spans()}
    root = spans["invoke_agent ATLAS"]
    event = spans["sessionoptimizer.event AI_RESPONSE"]
    assert root.parent is None
    assert root.attributes is not None and event.attributes is not None
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "ATLAS"
    assert root.attributes["gen_ai.conversation.id"] == s.id
    assert root.attributes["gen_ai.request.model"] == "sonnet"
    assert event.parent is not None and event.parent.span_id == root.context.span_id
    assert event.context.trace_id == root.context.trace_id
    # semconv: input_tokens includes cached tokens; our uncached figure is under sessionoptimizer.*
    assert event.attributes["gen_ai.usage.input_tokens"] == 80
    assert event.attributes["gen_ai.usage.output_tokens"] == 20
    assert event.attributes["gen_ai.usage.cache_read.input_tokens"] == 30
    assert event.attributes["gen_ai.usage.cache_creation.input_tokens"] == 40
    assert event.attributes["sessionoptimizer.usage.uncached_input_tokens"] == 10


def test_explicit_api_start_log_end(optimizer: SessionOptimizer) -> None:
    """start_session/log_event/end_session/list_sessions/delete_session behave as the spec documents."""
    session = optimizer.start_session("FORGE", "Plan feature X", "opus", metadata={"ticket": 7})
    assert session.status is SessionStatus.ACTIVE and session.metadata["ticket"] == 7
    event = optimizer.log_event(session.id, EventType.THINKING, tokens_output=800)
    assert event.session_id == session.id and event.reasoning_tokens == 800
    ended = optimizer.end_session(session.id)
    assert ended.status is SessionStatus.COMPLETED and ended.tokens.output_tokens == 800
    assert [s.id for s in optimizer.list_sessions(agent="FORGE")] == [session.id]
    assert optimizer.list_sessions(agent="ATLAS") == []
    assert optimizer.list_sessions(status="COMPLETED")[0].id == session.id
    assert optimizer.delete_session(session.id) is True
    assert optimizer.delete_session(session.id) is False


def test_start_session_without_model_uses_default(optimizer: SessionOptimizer) -> None:
    """The spec's snippets call start_session(agent, task) without a model: it is recorded as the default."""
    session = optimizer.start_session("FORGE", "Task")
    assert session.model == "unknown"


def test_default_model_from_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SESSIONOPTIMIZER_DEFAULT_MODEL sets the model of sessions that name none."""
    monkeypatch.setenv("SESSIONOPTIMIZER_DEFAULT_MODEL", "sonnet")
    opt = SessionOptimizer(home)
    try:
        assert opt.start_session("FORGE", "Task").model == "sonnet"
    finally:
        opt.shutdown()


def test_custom_session_id_and_duplicate(optimizer: SessionOptimizer) -> None:
    """A caller-chosen session id is used as given; reusing it is refused without touching the first."""
    from sessionoptimizer_sdk import SessionAlreadyExists

    first = optimizer.start_session("CLIO", "Deploy", "sonnet", session_id="clio-deploy-1")
    assert first.id == "clio-deploy-1"
    with pytest.raises(SessionAlreadyExists):
        optimizer.start_session("CLIO", "Other", "sonnet", session_id="clio-deploy-1")
    assert optimizer.get_session("clio-deploy-1").task == "Deploy"


def test_failed_status_sets_error_on_root_span(
    optimizer: SessionOptimizer, span_exporter: InMemorySpanExporter
) -> None:
    """Ending a session FAILED marks its root span with an error status."""
    session = optimizer.start_session("BOLT", "Risky", "grok")
    optimizer.end_session(session.id, "failed")
    root = next(s for s in span_exporter.get_finished_spans() if s.name == "invoke_agent BOLT")
    assert root.status.status_code is StatusCode.ERROR
    assert optimizer.get_session(session.id).status is SessionStatus.FAILED


def test_content_not_recorded_unless_opted_in(home: Path) -> None:
    """Content-bearing data keys are stored as size and hash by default, verbatim only with capture_content."""
    opt = SessionOptimizer(home)
    try:
        sid = opt.start_session("ATLAS", "Read").id
        opt.log_event(sid, EventType.FILE_READ, data={"file_path": "a.py", "content": "SECRET=1"})
        stored = opt.get_events(sid)[0].data
        assert stored["file_path"] == "a.py"
        assert stored["content"]["redacted"] is True and stored["content"]["chars"] == 8
        assert "SECRET" not in str(stored)
    finally:
        opt.shutdown()
    opt = SessionOptimizer(home, capture_content=True)
    try:
        sid = opt.start_session("ATLAS", "Read").id
        opt.log_event(sid, EventType.FILE_READ, data={"content": "SECRET=1"})
        assert opt.get_events(sid)[0].data["content"] == "SECRET=1"
    finally:
        opt.shutdown()


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        (SystemExit(0), SessionStatus.COMPLETED),
        (SystemExit(3), SessionStatus.FAILED),
        (KeyboardInterrupt(), SessionStatus.ABANDONED),
        (ValueError("bad"), SessionStatus.FAILED),
    ],
)
def test_how_the_block_ends_sets_the_status(
    optimizer: SessionOptimizer, raised: BaseException, status: SessionStatus
) -> None:
    """sys.exit(0) completes, an interrupt abandons, any other exception fails; the exception always propagates."""
    with pytest.raises(type(raised)), optimizer.session("CLIO", "Exit paths", model="sonnet") as s:
        raise raised
    assert optimizer.get_session(s.id).status is status
