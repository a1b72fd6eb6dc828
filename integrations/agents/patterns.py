"""The spec's per-agent integration patterns, as an agent process would log them into its wrapper's session.

Run by a start-up wrapper (``forge.py "Plan" -- python patterns.py``): it attaches to the session named by
``SESSIONOPTIMIZER_SESSION_ID`` and logs what the spec's "Agent Integration" section shows for that agent.
"""

from __future__ import annotations

import os
import sys

from sessionoptimizer_sdk import EventType, SessionOptimizer


def forge(optimizer: SessionOptimizer, sid: str) -> None:
    optimizer.log_event(sid, EventType.THINKING, tokens_output=800)  # thinking overhead
    optimizer.log_event(sid, EventType.AI_RESPONSE, tokens_output=2000)  # spec writing


def atlas(optimizer: SessionOptimizer, sid: str) -> None:
    optimizer.log_event(
        sid, EventType.FILE_READ, data={"file_path": "large_file.py", "compressed": True}, tokens_input=2400
    )
    optimizer.log_event(sid, EventType.TOOL_CALL, data={"tool": "pytest"})


def bolt(optimizer: SessionOptimizer, sid: str) -> None:
    optimizer.log_event(sid, EventType.ERROR, data={"message": "Build failed", "recoverable": True})


def clio(optimizer: SessionOptimizer, sid: str) -> None:
    optimizer.log_event(sid, EventType.FILE_WRITE, data={"file_path": "/etc/config"})


def nexus(optimizer: SessionOptimizer, sid: str) -> None:
    optimizer.log_event(sid, EventType.TOOL_CALL, data={"tool": "report-generator"})
    optimizer.log_event(sid, EventType.AI_RESPONSE, tokens_input=1500, tokens_output=600)


PATTERNS = {"FORGE": forge, "ATLAS": atlas, "BOLT": bolt, "CLIO": clio, "NEXUS": nexus}


def main() -> int:
    sid = os.environ.get("SESSIONOPTIMIZER_SESSION_ID")
    if not sid:
        print(
            "patterns.py runs under a start-up wrapper (SESSIONOPTIMIZER_SESSION_ID is not set)",
            file=sys.stderr,
        )
        return 2
    optimizer = SessionOptimizer()
    session = optimizer.get_session(sid)
    PATTERNS[session.agent](optimizer, sid)
    optimizer.flush()
    return int(os.environ.get("PATTERNS_EXIT_CODE", "0"))


if __name__ == "__main__":
    sys.exit(main())
