"""A parent that fans out to multiprocessing children logging into its session (run as a script by the tests).

``python -m tests.reliability._mp_children METHOD KIND CHILDREN EVENTS WORKERS`` prints the session id. Forked
children log through the inherited session (decorated tool calls and ``log``); spawned and forkserver children
open the store themselves and log by session id. No child calls ``flush()``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Any

from sessionoptimizer_sdk import EventType, SessionOptimizer

_OPT: SessionOptimizer | None = None
_SCOPE: Any = None


def _optimizer() -> SessionOptimizer:
    global _OPT
    if _OPT is None:
        _OPT = SessionOptimizer(os.environ["SESSIONOPTIMIZER_HOME"])
    return _OPT


def child(session_id: str, index: int, events: int) -> int:
    """Log ``events`` events into ``session_id``; returns the count (the Pool acknowledges it)."""
    opt = _optimizer()
    if _SCOPE is not None:  # forked: the parent's session is this process's current session
        step = opt.tool(f"step{index}")(lambda i: i)
        for i in range(events // 2):
            step(i)
        for _ in range(events - events // 2):
            _SCOPE.log(EventType.AI_RESPONSE, tokens_output=1)
    else:
        for _ in range(events):
            opt.log_event(session_id, EventType.TOOL_CALL, data={"tool": f"step{index}"}, tokens_input=1)
    return events


def main(method: str, kind: str, children: int, events: int, workers: int) -> None:
    """Start a session, fan out to ``children`` Process children or Pool tasks, end the session."""
    global _SCOPE
    ctx: Any = multiprocessing.get_context(method)
    opt = _optimizer()
    with opt.session("PARENT", "fan out to children", model="sonnet") as scope:
        _SCOPE = scope if method == "fork" else None
        jobs = [(scope.id, i, events) for i in range(children)]
        if kind == "process":
            procs = [ctx.Process(target=child, args=job) for job in jobs]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join()
                assert proc.exitcode == 0, proc.exitcode
        else:
            with ctx.Pool(workers) as pool:
                assert sum(pool.starmap(child, jobs)) == children * events
    print(scope.id, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
