"""Benchmark: analyze_events on synthetic sessions of growing size (target: 100,000 events < 1 s).

Run: .venv/bin/python benchmarks/bench_analysis.py
Prints events, seconds (best of 3) and microseconds per event, so linear growth is visible.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus


def make_session(n: int, seed: int = 7) -> tuple[Session, list[SessionEvent]]:
    """A realistic mix: cached model calls, windowed and repeated reads, edits, tests, errors, thinking."""
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)
    session = Session(
        "bench", "ATLAS", "bench", "sonnet", SessionStatus.COMPLETED, t0, t0 + timedelta(hours=3)
    )
    events: list[SessionEvent] = []
    context = 10_000
    t = t0
    for i in range(n):
        t += timedelta(seconds=rng.choice((1, 2, 5, 30)) if rng.random() > 0.001 else 600)
        r = rng.random()
        common: dict[str, Any] = {"id": f"e{i}", "session_id": "bench", "timestamp": t, "seq": i}
        if r < 0.35:
            miss = rng.random() < 0.02
            new = rng.randint(50, 3_000)
            events.append(
                SessionEvent(
                    event_type=EventType.AI_RESPONSE,
                    tokens_input=rng.randint(1, 20),
                    cache_read_tokens=0 if miss else context,
                    cache_write_tokens=context + new if miss else new,
                    tokens_output=rng.randint(20, 800),
                    reasoning_tokens=rng.randint(0, 300),
                    data={"model": "sonnet"},
                    **common,
                )
            )
            context = min(context + new, 150_000)
        elif r < 0.55:
            path = f"src/mod{rng.randint(0, 200)}.py"
            data = {"file_path": path, "result_tokens": rng.randint(100, 6_000)}
            if rng.random() < 0.5:
                data |= {"offset": rng.randint(1, 400), "limit": rng.randint(20, 200)}
            events.append(SessionEvent(event_type=EventType.FILE_READ, data=data, **common))
        elif r < 0.62:
            path = f"src/mod{rng.randint(0, 200)}.py"
            events.append(SessionEvent(event_type=EventType.FILE_WRITE, data={"file_path": path}, **common))
        elif r < 0.95:
            failed = rng.random() < 0.15
            events.append(
                SessionEvent(
                    event_type=EventType.TOOL_CALL,
                    data={
                        "tool": rng.choice(("Bash", "Grep", "pytest")),
                        "args_sha256": str(rng.randint(0, 30)),
                        "result_sha256": str(rng.randint(0, 5)),
                        "result_tokens": rng.randint(10, 2_000),
                    },
                    is_error=failed,
                    **common,
                )
            )
        elif r < 0.999:
            events.append(
                SessionEvent(event_type=EventType.THINKING, tokens_output=rng.randint(50, 500), **common)
            )
        else:
            events.append(SessionEvent(event_type=EventType.COMPACTION, **common))
            context = 8_000
    return session, events


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000]
    print(f"{'events':>8} {'best s':>8} {'us/event':>9} {'issues':>6} {'score':>6}")
    analyze_events(*make_session(100), now=datetime.now(UTC))  # warm the price lookup
    for n in sizes:
        session, events = make_session(n)
        best = float("inf")
        report = None
        for _ in range(3):
            start = time.perf_counter()
            report = analyze_events(session, events)
            best = min(best, time.perf_counter() - start)
        assert report is not None
        print(
            f"{n:>8} {best:>8.3f} {best / n * 1e6:>9.2f} {len(report.issues):>6} {report.efficiency_score:>6.1f}"
        )


if __name__ == "__main__":
    main()
