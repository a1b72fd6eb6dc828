"""Every span name and attribute key SessionOptimizer reads or writes, in one place.

Names follow the OpenTelemetry GenAI semantic conventions as they stand (late 2026). Stable names come from
``opentelemetry-semantic-conventions``; the GenAI names are still incubating there and marked deprecated, so
they are kept here as plain strings. Everything that is ours lives under ``sessionoptimizer.*``.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE as _ERROR_TYPE

# --- instrumentation scope -------------------------------------------------------------------------
TRACER_NAME: Final = "sessionoptimizer"

# --- gen_ai.* (GenAI semantic conventions) ---------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_ID: Final = "gen_ai.agent.id"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_SYSTEM_DEPRECATED: Final = "gen_ai.system"

#: Total prompt tokens, *including* cache reads and writes (the convention's SHOULD).
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: Final = "gen_ai.usage.cache_write.input_tokens"
#: Released conventions and many instrumentations still use this name for cache writes.
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
# Legacy names still seen in the wild (read, never written).
GEN_AI_USAGE_PROMPT_TOKENS_LEGACY: Final = "gen_ai.usage.prompt_tokens"
GEN_AI_USAGE_COMPLETION_TOKENS_LEGACY: Final = "gen_ai.usage.completion_tokens"
GEN_AI_USAGE_CACHE_READ_LEGACY: Final = "gen_ai.usage.cache_read_input_tokens"
GEN_AI_USAGE_CACHE_CREATION_LEGACY: Final = "gen_ai.usage.cache_creation_input_tokens"

# gen_ai.operation.name values
OP_INVOKE_AGENT: Final = "invoke_agent"
OP_EXECUTE_TOOL: Final = "execute_tool"
OP_CHAT: Final = "chat"
OP_CREATE_AGENT: Final = "create_agent"

# OpenInference (Phoenix) dialect, read only.
OI_PROMPT_TOKENS: Final = "llm.token_count.prompt"
OI_COMPLETION_TOKENS: Final = "llm.token_count.completion"
OI_CACHE_READ_TOKENS: Final = "llm.token_count.prompt_details.cache_read"
OI_CACHE_WRITE_TOKENS: Final = "llm.token_count.prompt_details.cache_write"
OI_REASONING_TOKENS: Final = "llm.token_count.completion_details.reasoning"
OI_SESSION_ID: Final = "session.id"
OI_SPAN_KIND: Final = "openinference.span.kind"
OI_MODEL_NAME: Final = "llm.model_name"

# --- stable semantic conventions ---------------------------------------------------------------------
ERROR_TYPE: Final = _ERROR_TYPE

# --- sessionoptimizer.* --------------------------------------------------------------------------------
SO_KIND: Final = "sessionoptimizer.kind"  # "session" | "event" | "tool"
SO_SESSION_TASK: Final = "sessionoptimizer.session.task"
SO_SESSION_STATUS: Final = "sessionoptimizer.session.status"
SO_EVENT_TYPE: Final = "sessionoptimizer.event.type"
SO_EVENT_DATA: Final = "sessionoptimizer.event.data"  # JSON object, content redacted unless opted in
SO_TOKENS_INPUT_UNCACHED: Final = "sessionoptimizer.usage.uncached_input_tokens"
SO_TOOL_ARGS_HASH: Final = "sessionoptimizer.tool.args_sha256"
SO_TOOL_RESULT_HASH: Final = "sessionoptimizer.tool.result_sha256"
SO_TOOL_KIND: Final = "sessionoptimizer.tool.callable_kind"
SO_TOOL_RESULT_CHARS: Final = "sessionoptimizer.tool.result_chars"
SO_ERROR_KIND: Final = "sessionoptimizer.error.kind"  # an ErrorKind value
SO_FILE_PATH: Final = "sessionoptimizer.file.path"

KIND_SESSION: Final = "session"
KIND_EVENT: Final = "event"
KIND_TOOL: Final = "tool"


def session_span_name(agent: str) -> str:
    """Span name of a session's root span: ``invoke_agent {agent}``."""
    return f"{OP_INVOKE_AGENT} {agent}"


def tool_span_name(tool: str) -> str:
    """Span name of a decorated tool call: ``execute_tool {tool}``."""
    return f"{OP_EXECUTE_TOOL} {tool}"


def event_span_name(event_type: str) -> str:
    """Span name of a logged event: ``sessionoptimizer.event {EVENT_TYPE}``."""
    return f"sessionoptimizer.event {event_type}"
