"""OTLP export: the standard OTEL_* variables send the same spans to a real collector endpoint, across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sessionoptimizer_sdk import SessionOptimizer, SessionStatus
from tests.otlp_receiver import otlp_receiver

_START = """
from sessionoptimizer_sdk import SessionOptimizer
print(SessionOptimizer().start_session("ATLAS", "Cross-process", "sonnet", detached=True).id)
"""
_LOG = """
import sys
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
@opt.tool("pytest")
def run_tests():
    return "ok"
opt.log_event(sys.argv[1], EventType.AI_RESPONSE, tokens_input=100, tokens_output=50, cache_read_tokens=900)
opt.log_event(sys.argv[1], EventType.FILE_READ, data={"file_path": "a.py", "content": "TOP-SECRET"})
"""
_END = """
import sys
from sessionoptimizer_sdk import SessionOptimizer
print(SessionOptimizer().end_session(sys.argv[1]).status.value)
"""


def _run(code: str, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_session_across_three_processes_is_one_exported_trace(home: Path) -> None:
    """Started, logged to and ended by three processes: one trace, root span re-emitted with its original start."""
    with otlp_receiver() as receiver:
        env = {
            **os.environ,
            "SESSIONOPTIMIZER_HOME": str(home),
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_SERVICE_NAME": "atlas-agent",
            "SESSIONOPTIMIZER_AUTO_ANALYZE": "0",
        }
        sid = _run(_START, env)
        _run(_LOG, env, sid)
        assert _run(_END, env, sid) == "COMPLETED"
        spans = list(receiver.spans)

    opt = SessionOptimizer(home)
    try:
        session = opt.get_session(sid)
    finally:
        opt.shutdown()
    assert session.status is SessionStatus.COMPLETED and session.event_count == 2
    roots = [s for s in spans if s.name == "invoke_agent ATLAS"]
    events = [s for s in spans if s.name.startswith("sessionoptimizer.event")]
    assert len(roots) == 1 and len(events) == 2
    root = roots[0]
    assert root.trace_id == session.trace_id and root.span_id == session.span_id
    assert (
        root.start_ns == int(session.started_at.timestamp() * 1e9) // 1000 * 1000
        or abs(root.start_ns - session.started_at.timestamp() * 1e9) < 2_000
    )
    assert root.attributes["gen_ai.conversation.id"] == sid
    assert root.attributes["sessionoptimizer.session.status"] == "COMPLETED"
    assert root.service_name == "atlas-agent"
    for event in events:
        assert event.trace_id == root.trace_id and event.parent_span_id == root.span_id
    response = next(s for s in events if s.name.endswith("AI_RESPONSE"))
    assert response.attributes["gen_ai.usage.input_tokens"] == 1000
    assert response.attributes["gen_ai.usage.cache_read.input_tokens"] == 900
    assert response.attributes["gen_ai.usage.output_tokens"] == 50
    read = next(s for s in events if s.name.endswith("FILE_READ"))
    assert "TOP-SECRET" not in str(read.attributes)  # content is not exported unless opted in


def test_no_export_without_otel_variables(home: Path, monkeypatch: object) -> None:
    """With no OTEL_* exporter variables the private provider exports nothing (spans are only stored)."""
    opt = SessionOptimizer(home)
    try:
        processors = opt.tracer_provider._active_span_processor._span_processors
        assert len(processors) == 1
    finally:
        opt.shutdown()
