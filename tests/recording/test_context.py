"""The current session follows asyncio tasks, and threads via the documented helpers."""

from __future__ import annotations

import asyncio
import threading

from sessionoptimizer_sdk import ContextThreadPoolExecutor, EventType, SessionOptimizer, propagate


def test_asyncio_gather_keeps_each_session_separate(optimizer: SessionOptimizer) -> None:
    """Concurrent sessions in one event loop each get exactly their own tool calls."""

    @optimizer.tool("step")
    async def step(i: int) -> int:
        await asyncio.sleep(0.001 * (i % 3))
        return i

    async def agent(name: str, calls: int) -> str:
        async with optimizer.session(name, "Work", model="sonnet") as s:
            await asyncio.gather(*(step(i) for i in range(calls)))
            return s.id

    async def main() -> list[str]:
        return [*await asyncio.gather(agent("FORGE", 5), agent("ATLAS", 7), agent("BOLT", 3))]

    ids = asyncio.run(main())
    counts = [optimizer.get_session(sid).event_count for sid in ids]
    assert counts == [5, 7, 3]


def test_propagate_carries_session_into_thread(optimizer: SessionOptimizer) -> None:
    """A function wrapped with propagate() records into the caller's session from another thread."""

    @optimizer.tool("work")
    def work() -> None:
        return None

    with (
        optimizer.session("FORGE", "A", model="opus") as a,
        optimizer.session("ATLAS", "B", model="sonnet") as b,
    ):
        # two live sessions: a bare thread cannot guess; the propagated one records into `b`, the current one
        t = threading.Thread(target=propagate(work))
        t.start()
        t.join()
    assert optimizer.get_session(b.id).event_count == 1
    assert optimizer.get_session(a.id).event_count == 0


def test_context_thread_pool_executor(optimizer: SessionOptimizer) -> None:
    """Tasks submitted to ContextThreadPoolExecutor record into the submitting context's session."""

    @optimizer.tool("chunk")
    def chunk(i: int) -> int:
        return i * i

    with (
        optimizer.session("FORGE", "Other", model="opus"),
        optimizer.session("NEXUS", "Map", model="sonnet") as s,
        ContextThreadPoolExecutor(max_workers=4) as pool,
    ):
        results = list(pool.map(chunk, range(20)))
    assert results == [i * i for i in range(20)]
    assert optimizer.get_session(s.id).event_count == 20


def test_bare_thread_uses_the_only_live_session(optimizer: SessionOptimizer) -> None:
    """With exactly one live session in the process, a tool called from a plain thread still records into it."""

    @optimizer.tool("bg")
    def bg() -> None:
        return None

    session = optimizer.start_session("CLIO", "Deploy", "sonnet")
    t = threading.Thread(target=bg)
    t.start()
    t.join()
    optimizer.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
    assert optimizer.end_session(session.id).event_count == 2


def test_many_threads_logging_into_one_session_lose_nothing(optimizer: SessionOptimizer) -> None:
    """Eight threads logging and calling tools into one session concurrently store every event exactly once."""

    @optimizer.tool("work")
    def work(i: int) -> int:
        return i

    with optimizer.session("FORGE", "Threads", model="opus") as s:

        def worker() -> None:
            for i in range(250):
                s.log(EventType.AI_RESPONSE, tokens_input=1, tokens_output=2)
                work(i)

        threads = [threading.Thread(target=propagate(worker)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    session = optimizer.get_session(s.id)
    assert session.event_count == 8 * 500
    assert session.tokens.input_tokens == 2000 and session.tokens.output_tokens == 4000
    assert len({e.id for e in optimizer.get_events(s.id)}) == 8 * 500
