"""Claude Code and Codex CLI OTLP log events, built from their documented schemas.

Claude Code: "Monitoring" (code.claude.com/docs/en/monitoring-usage), Claude Code 2.0.x: events
``claude_code.user_prompt``, ``claude_code.api_request``, ``claude_code.tool_result``, ``claude_code.tool_decision``,
``claude_code.api_error``; standard attributes ``session.id``, ``app.version``, ``event.timestamp``,
``event.sequence``, ``prompt.id``; every value sent as a string; ``tool_input`` only with
``OTEL_LOG_TOOL_DETAILS=1``; ``service.name=claude-code``.
Codex CLI: ``docs/config.md`` ``[otel]`` (codex-rs 0.5x): events ``codex.conversation_starts``,
``codex.user_prompt``, ``codex.api_request``, ``codex.sse_event`` (token counts on ``response.completed``),
``codex.tool_decision``, ``codex.tool_result``; ``conversation.id``; ``service.name=codex_exec``.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from .payloads import T0, log_record, logs

CLAUDE_SID = "6f1c2b7e-4d0a-4f7e-9a51-3c2d1e0f9a88"
CODEX_SID = "019a9776-0a34-7842-8627-112b63d66e90"


def _cc(event: str, seq: int, t_s: float, t0: int = T0, /, **attrs: Any) -> LogRecord:
    common = {
        "session.id": CLAUDE_SID,
        "app.version": "2.0.14",
        "event.sequence": str(seq),
        "prompt.id": "p-1",
        "terminal.type": "xterm-256color",
    }
    return log_record(
        f"claude_code.{event}", {**common, **{k: str(v) for k, v in attrs.items()}}, t_s=t_s, t0=t0
    )


def claude_code_session(
    *, tool_details: bool = True, agent: str | None = "CLIO", t0: int = T0
) -> ExportLogsServiceRequest:
    """A Claude Code session: a prompt, 3 model calls, the same file read twice, a failing test run, an API error.

    Hand totals: input 1,200 + 300 + 400 = 1,900; output 500 + 200 + 100 = 800; cache read 0 + 9,000 + 9,500 =
    18,500; cache write 8,000 + 0 + 600 = 8,600; cost 0.0420 + 0.0061 + 0.0071 = 0.0552 USD.
    """
    read = {"file_path": "/repo/src/parser.py"}
    details = (lambda args: {"tool_input": json.dumps(args)}) if tool_details else (lambda args: {})
    records = [
        _cc("user_prompt", 1, 0, t0, prompt_length=42),
        _cc(
            "api_request",
            2,
            5,
            t0,
            model="claude-sonnet-4-5",
            cost_usd="0.0420",
            duration_ms=4100,
            input_tokens=1200,
            output_tokens=500,
            cache_read_tokens=0,
            cache_creation_tokens=8000,
        ),
        _cc("tool_decision", 3, 6, t0, tool_name="Read", decision="accept", source="config"),
        _cc(
            "tool_result",
            4,
            6.2,
            t0,
            tool_name="Read",
            success="true",
            duration_ms=12,
            decision_type="accept",
            decision_source="config",
            tool_result_size_bytes=12000,
            **details(read),
        ),
        _cc(
            "api_request",
            5,
            10,
            t0,
            model="claude-sonnet-4-5",
            cost_usd="0.0061",
            duration_ms=2000,
            input_tokens=300,
            output_tokens=200,
            cache_read_tokens=9000,
            cache_creation_tokens=0,
        ),
        _cc(
            "tool_result",
            6,
            11,
            t0,
            tool_name="Read",
            success="true",
            duration_ms=10,
            decision_type="accept",
            decision_source="config",
            tool_result_size_bytes=12000,
            **details(read),
        ),
        _cc(
            "tool_result",
            7,
            14,
            t0,
            tool_name="Bash",
            success="false",
            duration_ms=3000,
            decision_type="accept",
            error="Exit code 1\nFAILED tests/test_parser.py::test_x - AssertionError\n1 failed, 3 passed",
            tool_parameters=json.dumps({"bash_command": "pytest", "full_command": "pytest -q"}),
        ),
        _cc(
            "api_request",
            8,
            20,
            t0,
            model="claude-sonnet-4-5",
            cost_usd="0.0071",
            duration_ms=1500,
            input_tokens=400,
            output_tokens=100,
            cache_read_tokens=9500,
            cache_creation_tokens=600,
        ),
        _cc(
            "api_error",
            9,
            25,
            t0,
            model="claude-sonnet-4-5",
            error="Overloaded",
            status_code=529,
            duration_ms=900,
            attempt=1,
        ),
    ]
    return logs(*records, service="claude-code", host="clio-laptop", agent=agent)


def _cx(event: str, t_s: float, t0: int = T0, /, **attrs: Any) -> LogRecord:
    common = {
        "conversation.id": CODEX_SID,
        "app.version": "0.58.0",
        "model": "gpt-5-codex",
        "terminal.type": "xterm",
    }
    return log_record(f"codex.{event}", {**common, **attrs}, t_s=t_s, t0=t0)


def codex_session(agent: str | None = "BOLT", t0: int = T0) -> ExportLogsServiceRequest:
    """A Codex session: one prompt, 2 completed responses, one failing shell tool call.

    Hand totals (OpenAI counts cached input inside input): uncached input (5,000 - 0) + (7,000 - 4,800) = 7,200;
    cache read 4,800; output 900 + 300 = 1,200 of which reasoning 600 + 100 = 700.
    """
    records = [
        _cx("conversation_starts", 0, t0, provider_name="openai", reasoning_effort="medium"),
        _cx("user_prompt", 1, t0, prompt_length=31),
        _cx("sse_event", 4, t0, **{"event.kind": "response.created"}),
        _cx(
            "sse_event",
            6,
            **{
                "event.kind": "response.completed",
                "input_token_count": 5000,
                "output_token_count": 900,
                "cached_token_count": 0,
                "reasoning_token_count": 600,
                "tool_token_count": 0,
                "duration_ms": 2000,
            },
        ),
        _cx(
            "tool_decision", 7, t0, tool_name="shell", call_id="call_1", decision="approved", source="config"
        ),
        _cx(
            "tool_result",
            8,
            tool_name="shell",
            call_id="call_1",
            duration_ms=800,
            success="false",
            arguments=json.dumps({"command": ["bash", "-lc", "cargo test"]}),
            output="test result: FAILED. 1 passed; 1 failed",
        ),
        _cx(
            "sse_event",
            12,
            **{
                "event.kind": "response.completed",
                "input_token_count": 7000,
                "output_token_count": 300,
                "cached_token_count": 4800,
                "reasoning_token_count": 100,
                "tool_token_count": 0,
                "duration_ms": 1500,
            },
        ),
    ]
    return logs(*records, service="codex_exec", host="bolt-box", agent=agent)
