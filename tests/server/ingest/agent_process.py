"""An SDK agent on "another machine": records locally and exports OTLP to the team server (run as a script).

argv: session id, agent, then one of ``complete``, ``start-only`` (start a detached session and exit),
``end-only`` (end a session started by another process), ``abandon`` (exit without ending), ``killed`` (export
the events, then die by SIGKILL: nothing runs at exit) or ``recover`` (only open the local store: recovery).
"""

from __future__ import annotations

import os
import signal
import sys

from sessionoptimizer_sdk import EventType, SessionOptimizer


def main() -> None:
    """Record the scenario named on the command line."""
    sid, agent, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    optimizer = SessionOptimizer()
    if mode == "recover":  # opening the store recovered the dead process's session; exit exports its end
        optimizer.shutdown()
        return
    if mode == "end-only":
        optimizer.end_session(sid, "COMPLETED")
        optimizer.shutdown()
        return
    optimizer.start_session(
        agent, "fix the parser", model="claude-sonnet-4-5", session_id=sid, detached=mode == "start-only"
    )
    for _ in range(3):  # the same 3,000-token file read three times
        optimizer.log_event(sid, EventType.FILE_READ, {"file_path": "src/big.py"}, tokens_input=3000)
    optimizer.log_event(sid, EventType.AI_RESPONSE, {"model": "claude-sonnet-4-5"}, 4000, 1500)
    if mode == "complete":
        optimizer.end_session(sid, "COMPLETED")
    if mode == "abandon":
        return  # exit without ending: the SDK ends the session ABANDONED at interpreter exit
    if mode == "killed":
        optimizer.flush()
        optimizer.tracer_provider.force_flush()  # the events reach the server; the root span never will
        os.kill(os.getpid(), signal.SIGKILL)
    optimizer.shutdown()


if __name__ == "__main__":
    main()
