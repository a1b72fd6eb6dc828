"""Automatic token capture: the real ``openai`` client, traced by real OTel instrumentations, inside a session.

A tiny OpenAI-compatible server on 127.0.0.1 answers chat completions with usage that includes cached and
reasoning tokens; no test here calls ``log_event``: every stored token comes from the instrumentation's spans.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sessionoptimizer_sdk import EventType, SessionOptimizer

PROMPT, CACHED, COMPLETION, REASONING = 1200, 1000, 300, 120


class _FakeOpenAI(BaseHTTPRequestHandler):
    """Answers POST /v1/chat/completions like OpenAI, with OpenAI's usage shape (prompt includes cached)."""

    calls = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        type(self).calls += 1
        body = {
            "id": f"chatcmpl-{type(self).calls}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": request.get("model", "gpt-4o-mini"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "done"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": PROMPT,
                "completion_tokens": COMPLETION,
                "total_tokens": PROMPT + COMPLETION,
                "prompt_tokens_details": {"cached_tokens": CACHED},
                "completion_tokens_details": {"reasoning_tokens": REASONING},
            },
        }
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def model_server() -> Iterator[str]:
    """Base URL of a fake OpenAI-compatible model server on 127.0.0.1 (a random free port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _chat_twice(optimizer: SessionOptimizer, base_url: str, agent: str) -> str:
    """Two chat completions inside a session, through the real openai client; returns the session id."""
    import openai

    client = openai.OpenAI(api_key="test-key", base_url=base_url, max_retries=0)
    with optimizer.session(agent, "answer two questions", model="gpt-4o-mini") as session:
        for question in ("first?", "second?"):
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
            )
            assert reply.choices[0].message.content == "done"
    client.close()
    optimizer.flush()
    return session.id


def test_openai_v2_instrumentation_records_model_calls_with_zero_manual_logging(
    optimizer: SessionOptimizer, model_server: str
) -> None:
    """The official openai-v2 instrumentation's chat spans become AI_RESPONSE events with the call's tokens."""
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=optimizer.tracer_provider)
    try:
        sid = _chat_twice(optimizer, model_server, "ATLAS")
    finally:
        instrumentor.uninstrument()

    events = optimizer.get_events(sid)
    calls = [e for e in events if e.event_type is EventType.AI_RESPONSE]
    assert len(calls) == 2
    assert all(e.data.get("model") == "gpt-4o-mini" for e in calls)
    session = optimizer.get_session(sid)
    # openai-v2 2.4b0 reports prompt (cached included) and completion tokens on chat spans, not the cached
    # share: every prompt token is therefore stored as input, and no token is lost or counted twice.
    assert session.tokens.total_tokens == 2 * (PROMPT + COMPLETION)
    assert session.tokens.output_tokens == 2 * COMPLETION
    assert session.tokens.input_tokens + session.tokens.cache_read_tokens == 2 * PROMPT


def test_openinference_instrumentation_records_cached_and_reasoning_tokens(
    optimizer: SessionOptimizer, model_server: str
) -> None:
    """OpenInference's ``llm.token_count.*`` spans give the session uncached, cache-read and reasoning tokens."""
    from openinference.instrumentation.openai import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=optimizer.tracer_provider)
    try:
        sid = _chat_twice(optimizer, model_server, "FORGE")
    finally:
        instrumentor.uninstrument()

    calls = [e for e in optimizer.get_events(sid) if e.event_type is EventType.AI_RESPONSE]
    assert len(calls) == 2
    for event in calls:
        assert (event.tokens_input, event.cache_read_tokens) == (PROMPT - CACHED, CACHED)
        assert (event.tokens_output, event.reasoning_tokens) == (COMPLETION, REASONING)
    tokens = optimizer.get_session(sid).tokens
    assert tokens.input_tokens == 2 * (PROMPT - CACHED)
    assert tokens.cache_read_tokens == 2 * CACHED
    assert tokens.output_tokens == 2 * COMPLETION
    assert tokens.reasoning_tokens == 2 * REASONING


def test_model_calls_outside_any_session_are_not_recorded(
    optimizer: SessionOptimizer, model_server: str
) -> None:
    """A model call made when no session is open is left alone (no event, no orphan session)."""
    import openai
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=optimizer.tracer_provider)
    try:
        client = openai.OpenAI(api_key="test-key", base_url=model_server, max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        client.close()
    finally:
        instrumentor.uninstrument()
    optimizer.flush()
    assert optimizer.store.count_events() == 0
    assert optimizer.list_sessions() == []
