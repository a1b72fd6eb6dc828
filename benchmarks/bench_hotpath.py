"""Hot path, per decorated call: SessionOptimizer's ``@tool`` and ``session.log`` next to wrapt and a plain OTel span.

Run: ``python benchmarks/bench_hotpath.py [--n 5000] [--rounds 7]``. Every figure is the median over rounds of
the ratio to a baseline measured in the same round. Cases that store events include the final ``flush()`` (the
event is committed to SQLite before the clock stops); the OTel baseline includes its ``force_flush()``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wrapt
from _common import Case, measure, otel_provider, print_table, quiet_env, save, summarize

OTEL = "otel span (BatchSpanProcessor, drop exporter)"
WRAPT = "no-op wrapt decorator"


def work(x: int) -> int:
    return x + 1


async def awork(x: int) -> int:
    return x + 1


def gwork(x: int) -> Any:
    yield x
    yield x + 1


@wrapt.decorator
def _noop(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return wrapped(*args, **kwargs)


@wrapt.decorator
async def _anoop(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    return await wrapped(*args, **kwargs)


def _loop_sync(fn: Callable[[int], Any]) -> Callable[[int], None]:
    def run(n: int) -> None:
        for i in range(n):
            fn(i)

    return run


def _loop_gen(fn: Callable[[int], Any]) -> Callable[[int], None]:
    def run(n: int) -> None:
        for i in range(n):
            for _ in fn(i):
                pass

    return run


def _loop_async(loop: asyncio.AbstractEventLoop, fn: Callable[[int], Any]) -> Callable[[int], None]:
    async def drive(n: int) -> None:
        for i in range(n):
            await fn(i)

    return lambda n: loop.run_until_complete(drive(n))


def build(
    *, kinds: tuple[str, ...] = ("sync", "async", "generator", "log")
) -> tuple[list[Case], Callable[[], None]]:
    """The hot-path cases (baselines first) and a cleanup callable."""
    quiet_env()
    from sessionoptimizer_sdk import EventType, SessionOptimizer

    provider, _ = otel_provider()
    tracer = provider.get_tracer("bench")
    opt = SessionOptimizer()
    loop = asyncio.new_event_loop()
    scope_holder: list[Any] = []

    def enter() -> None:
        scope = opt.session("bench", "hot path benchmark", model="m")
        scope.__enter__()
        scope_holder.append(scope)

    def leave() -> None:
        scope_holder.pop().__exit__(None, None, None)

    def otel_flush() -> None:
        provider.force_flush()

    def so_flush() -> None:
        opt.flush(60)

    def otel_sync(x: int) -> int:
        with tracer.start_as_current_span("execute_tool work") as span:
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", "work")
            span.set_attribute("bench.arg", x)
            return work(x)

    async def otel_async(x: int) -> int:
        with tracer.start_as_current_span("execute_tool awork") as span:
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", "awork")
            span.set_attribute("bench.arg", x)
            return await awork(x)

    def otel_gen(x: int) -> Any:
        span = tracer.start_span("execute_tool gwork")
        span.set_attribute("gen_ai.operation.name", "execute_tool")
        span.set_attribute("gen_ai.tool.name", "gwork")
        span.set_attribute("bench.arg", x)
        try:
            yield from gwork(x)
        finally:
            span.end()

    cases: list[Case] = []
    if "sync" in kinds:
        tool = opt.tool(work)
        cases += [
            Case("bare call", _loop_sync(work), baseline=WRAPT),
            Case(WRAPT, _loop_sync(_noop(work))),
            Case(OTEL, _loop_sync(otel_sync), finish=otel_flush),
            Case("@tool, no active session", _loop_sync(tool), baseline=WRAPT),
            Case(
                "@tool, active session (span + stored event)",
                _loop_sync(tool),
                baseline=OTEL,
                finish=so_flush,
                setup=enter,
                teardown=leave,
            ),
        ]
    if "async" in kinds:
        atool = opt.tool(awork)
        cases += [
            Case("async: bare call", _loop_async(loop, awork), baseline="async: " + WRAPT),
            Case("async: " + WRAPT, _loop_async(loop, _anoop(awork))),
            Case("async: " + OTEL, _loop_async(loop, otel_async), finish=otel_flush),
            Case("async: @tool, no active session", _loop_async(loop, atool), baseline="async: " + WRAPT),
            Case(
                "async: @tool, active session",
                _loop_async(loop, atool),
                baseline="async: " + OTEL,
                finish=so_flush,
                setup=enter,
                teardown=leave,
            ),
        ]
    if "generator" in kinds:
        gtool = opt.tool(gwork)
        cases += [
            Case("generator: bare call", _loop_gen(gwork), baseline="generator: " + WRAPT),
            Case("generator: " + WRAPT, _loop_gen(_noop(gwork))),
            Case("generator: " + OTEL, _loop_gen(otel_gen), finish=otel_flush),
            Case("generator: @tool, no active session", _loop_gen(gtool), baseline="generator: " + WRAPT),
            Case(
                "generator: @tool, active session",
                _loop_gen(gtool),
                baseline="generator: " + OTEL,
                finish=so_flush,
                setup=enter,
                teardown=leave,
            ),
        ]
    if "log" in kinds:

        def otel_event(x: int) -> None:
            span = tracer.start_span("event TOOL_CALL")
            span.set_attribute("sessionoptimizer.event_type", "TOOL_CALL")
            span.set_attribute("gen_ai.usage.input_tokens", 10)
            span.set_attribute("bench.arg", x)
            span.end()

        def log(x: int) -> None:
            scope_holder[-1].log(EventType.TOOL_CALL, {"tool": "grep"}, tokens_input=10)

        cases += [
            Case(
                "log: otel span (start_span + 3 attributes + end)", _loop_sync(otel_event), finish=otel_flush
            ),
            Case(
                "session.log(...) (span + stored event)",
                _loop_sync(log),
                baseline="log: otel span (start_span + 3 attributes + end)",
                finish=so_flush,
                setup=enter,
                teardown=leave,
            ),
        ]

    def cleanup() -> None:
        opt.shutdown(30)
        provider.shutdown()
        loop.close()

    return cases, cleanup


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000, help="calls per round and case")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--save", action="store_true", help="write benchmarks/results/hotpath.json")
    args = parser.parse_args(argv)
    cases, cleanup = build()
    try:
        measure(cases, args.n, args.rounds)
    finally:
        cleanup()
    rows = summarize(cases)
    print_table(
        f"Hot path: per call, median of {args.rounds} rounds x {args.n} calls",
        ["case", "us/call", "ratio", "baseline"],
        [
            (r["case"], r["us"], f"{r['ratio']:.2f}x" if "ratio" in r else "-", r.get("baseline", "-"))
            for r in rows
        ],
    )
    if args.save:
        save("hotpath", rows)
    return rows


if __name__ == "__main__":
    main()
