"""The ``@optimizer.tool`` decorator: each call inside a session becomes an ``execute_tool`` span.

The wrapper is chosen once, at decoration, by callable kind (function, coroutine function, generator function,
async generator function); ``wrapt`` keeps signatures, introspection and method binding intact. Outside a
session the wrapper calls straight through. The host's exceptions pass through unchanged (same object); our
own faults are logged and swallowed.
"""

from __future__ import annotations

import contextvars
import inspect
import os
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode

from .. import conventions as c
from .._internal.randomids import new_span_id
from .._internal.safety import Guard
from ..errors import InvalidInputError
from ..models import ErrorKind, EventType
from ._digest import call_digest, digest
from .context import _current, current_scope
from .state import SessionState

__all__ = ["instrument_tool"]

_FILE_TYPES = frozenset({EventType.FILE_READ, EventType.FILE_WRITE})


_BEGIN = Guard("tool.begin")
_FINISH = Guard("tool.finish")


def _error_kind(exc: BaseException) -> str | None:
    """The failure's kind when the exception type settles it, else None.

    The analysis then classifies it from the error type and the tool's name (a failing ``pytest`` tool is a test
    failure, not an agent error).
    """
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT.value
    if isinstance(exc, PermissionError):
        return ErrorKind.PERMISSION_DENIED.value
    if isinstance(exc, AssertionError):
        return ErrorKind.TEST_FAILURE.value
    return None


_PATH_PARAMS = ("file_path", "path")


def _path_param(target: Callable[..., Any]) -> tuple[str, int, bool] | None:
    """Where a file tool's path argument is: (name, position without self/cls, has self/cls), by signature."""
    try:
        params = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature
        return None
    bound_first = bool(params) and params[0].name in ("self", "cls")
    positional = [
        p.name
        for p in params[int(bound_first) :]
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    named = [p.name for p in params if p.name in _PATH_PARAMS]
    chosen = named[0] if named else (positional[0] if positional else None)
    if chosen is None:
        return None
    position = positional.index(chosen) if chosen in positional else -1
    return chosen, position, bound_first


class _ToolSpec:
    """What a decorated tool records; built once per decorated callable."""

    __slots__ = ("event_type", "name", "path_param", "span_name")

    def __init__(self, name: str, event_type: EventType, target: Callable[..., Any]) -> None:
        self.name = name
        self.event_type = event_type
        self.span_name = c.tool_span_name(name)
        self.path_param = _path_param(target) if event_type in _FILE_TYPES else None

    def file_path(self, instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
        """The value passed for the path parameter found at decoration, or None."""
        if self.path_param is None:
            return None
        name, position, bound_first = self.path_param
        if name in kwargs:
            return kwargs[name]
        if position < 0:
            return None
        index = position + (1 if bound_first and instance is None else 0)  # unbound call: self/cls in args
        return args[index] if index < len(args) else None


@dataclass(frozen=True, slots=True)
class _Call:
    """A tool call in flight: its span, the context it made current and its token, its attributes, its session."""

    span: Any
    context: Context | None
    token: contextvars.Token[Context] | None
    attrs: dict[str, Any]
    state: SessionState


def _begin(
    spec: _ToolSpec,
    state: SessionState,
    instance: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    current: bool,
) -> _Call | None:
    """Start the tool span (and make it current for sync/async calls); None if recording failed."""
    with _BEGIN:
        args_hash = call_digest(args, kwargs)
        attrs: dict[str, Any] = {
            c.GEN_AI_OPERATION_NAME: c.OP_EXECUTE_TOOL,
            c.GEN_AI_TOOL_NAME: spec.name,
            c.GEN_AI_CONVERSATION_ID: state.id,
            c.SO_KIND: c.KIND_TOOL,
            c.SO_EVENT_TYPE: spec.event_type.value,
            c.SO_TOOL_ARGS_HASH: args_hash,
        }
        path = spec.file_path(instance, args, kwargs)
        if isinstance(path, str | os.PathLike):
            attrs[c.SO_FILE_PATH] = os.fspath(path)
        parent = None if _current.get() is state else state.parent_context
        span = state.recorder.tracer.start_span(spec.span_name, context=parent, attributes=attrs)
        context = trace.set_span_in_context(span) if current else None
        token = otel_context.attach(context) if context is not None else None
        return _Call(span, context, token, attrs, state)
    return None


def _restore(ours: Context | None, token: contextvars.Token[Context]) -> None:
    """Make the caller's context current again, keeping a context the host attached inside the call and left.

    Detaching our token resets the context to the caller's, which would also undo the host's own ``attach``
    (baggage set for the rest of a request, say). So when the current context is no longer ours, the host's
    is kept, with the caller's span in place of the ended tool span.
    """
    current = otel_context.get_current()
    if current is ours:
        otel_context.detach(token)
        return
    before = token.old_value
    caller = trace.get_current_span(None if before is contextvars.Token.MISSING else before)
    otel_context.attach(trace.set_span_in_context(caller, current))


def _finish(call: _Call, result: Any, exc: BaseException | None) -> None:
    """End the tool span with the result's digest or the error's type."""
    span, token, attrs, state = call.span, call.token, call.attrs, call.state
    with _FINISH:
        if token is not None:
            _restore(call.context, token)
        recording = span.is_recording()
        extra: dict[str, Any] = {}
        if exc is None:
            if result is not None:
                extra[c.SO_TOOL_RESULT_HASH], extra[c.SO_TOOL_RESULT_CHARS] = digest(result)
        else:
            error_type = type(exc).__qualname__
            extra[c.ERROR_TYPE] = error_type
            kind = _error_kind(exc)
            if kind is not None:
                extra[c.SO_ERROR_KIND] = kind
            span.set_status(Status(StatusCode.ERROR, error_type))
        if extra:
            span.set_attributes(extra)
            attrs.update(extra)
        span.end()
        if not recording:  # dropped by the application's sampler: store it anyway
            now = time.time_ns()
            state.recorder.queue_unsampled(
                state,
                new_span_id(),  # a no-op span may carry its parent's id: the stored event needs its own
                c.tool_span_name(str(attrs[c.GEN_AI_TOOL_NAME])),
                attrs,
                now,
                now,
                exc is not None,
            )


def _sync(spec: _ToolSpec) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        state = current_scope()
        if state is None:
            return wrapped(*args, **kwargs)
        call = _begin(spec, state, instance, args, kwargs, True)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _finish(call, None, exc)
            raise
        _finish(call, result, None)
        return result

    return wrapper


def _async(spec: _ToolSpec) -> Callable[..., Any]:
    async def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        state = current_scope()
        if state is None:
            return await wrapped(*args, **kwargs)
        call = _begin(spec, state, instance, args, kwargs, True)
        if call is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _finish(call, None, exc)
            raise
        _finish(call, result, None)
        return result

    return wrapper


def _traced_generator(
    spec: _ToolSpec,
    state: SessionState,
    gen: Generator[Any, Any, Any],
    instance: object,
    args: Any,
    kwargs: Any,
) -> Any:
    call = _begin(spec, state, instance, args, kwargs, False)
    if call is None:
        return (yield from gen)
    try:
        result = yield from gen
    except GeneratorExit:
        _finish(call, None, None)
        raise
    except BaseException as exc:
        _finish(call, None, exc)
        raise
    _finish(call, result, None)
    return result


def _generator(spec: _ToolSpec) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        gen = wrapped(*args, **kwargs)
        state = current_scope()
        if state is None:
            return gen
        return _traced_generator(spec, state, gen, instance, args, kwargs)

    return wrapper


async def _traced_async_generator(
    spec: _ToolSpec,
    state: SessionState,
    agen: AsyncGenerator[Any, Any],
    instance: object,
    args: Any,
    kwargs: Any,
) -> AsyncGenerator[Any, Any]:
    call = _begin(spec, state, instance, args, kwargs, False)
    try:
        item = await agen.__anext__()
        while True:
            try:
                sent = yield item
            except GeneratorExit:
                await agen.aclose()
                raise
            except BaseException as exc:
                item = await agen.athrow(exc)
            else:
                item = await agen.asend(sent)
    except StopAsyncIteration:
        if call is not None:
            _finish(call, None, None)
    except GeneratorExit:
        if call is not None:
            _finish(call, None, None)
        raise
    except BaseException as exc:
        if call is not None:
            _finish(call, None, exc)
        raise


def _async_generator(spec: _ToolSpec) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        agen = wrapped(*args, **kwargs)
        state = current_scope()
        if state is None:
            return agen
        return _traced_async_generator(spec, state, agen, instance, args, kwargs)

    return wrapper


def instrument_tool(
    fn: Callable[..., Any], name: str | None = None, event_type: EventType = EventType.TOOL_CALL
) -> Any:
    """Wrap ``fn`` (any callable kind) so calls inside a session are recorded as tool spans."""
    target = fn.__func__ if isinstance(fn, staticmethod | classmethod) else fn
    if not callable(target):
        raise InvalidInputError(f"@tool needs a callable, got {type(fn).__name__}")
    tool_name = str(name or getattr(target, "__qualname__", None) or getattr(target, "__name__", "tool"))
    spec = _ToolSpec(tool_name, event_type, target)
    if inspect.isasyncgenfunction(target):
        wrapper = _async_generator(spec)
    elif inspect.iscoroutinefunction(target):
        wrapper = _async(spec)
    elif inspect.isgeneratorfunction(target):
        wrapper = _generator(spec)
    else:
        wrapper = _sync(spec)
    import wrapt  # at first decoration, not at SDK import (wrapt pulls in importlib.metadata)

    wrapped = wrapt.FunctionWrapper(target, wrapper)
    if isinstance(fn, staticmethod):
        return staticmethod(wrapped)
    if isinstance(fn, classmethod):
        return classmethod(wrapped)
    return wrapped
