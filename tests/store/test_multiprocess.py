"""Several real processes on one store: nothing lost, and dead processes' sessions become ABANDONED."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sessionoptimizer_sdk import SessionOptimizer, SessionStatus

_WRITER = """
import sys
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
n = int(sys.argv[1])
@opt.tool("step")
def step(i):
    return i
with opt.session(f"AGENT{sys.argv[2]}", "Concurrent writes", model="sonnet") as s:
    for i in range(n // 2):
        s.log(EventType.AI_RESPONSE, tokens_input=1, tokens_output=2)
    for i in range(n - n // 2):
        step(i)
print(s.id)
"""

_VICTIM = """
import time
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
session = opt.start_session("BOLT", "About to be killed", "grok")
for i in range(10):
    opt.log_event(session.id, EventType.TOOL_CALL, data={"tool": "make"}, tokens_input=5)
opt.flush()
print(session.id, flush=True)
time.sleep(60)
"""


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "SESSIONOPTIMIZER_HOME": str(home), "SESSIONOPTIMIZER_AUTO_ANALYZE": "0"}


def test_three_processes_write_5000_events_each_and_lose_none(home: Path) -> None:
    """Three processes each recording 5,000 events into one store concurrently leave exactly 15,000 rows."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, "5000", str(i)], env=_env(home), stdout=subprocess.PIPE, text=True
        )
        for i in range(3)
    ]
    ids = []
    for proc in procs:
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0
        ids.append(out.strip())
    opt = SessionOptimizer(home)
    try:
        assert opt.store.count_events() == 15_000
        for sid in ids:
            session = opt.get_session(sid)
            assert session.event_count == 5_000 and session.status is SessionStatus.COMPLETED
            assert session.tokens.input_tokens == 2_500 and session.tokens.output_tokens == 5_000
    finally:
        opt.shutdown()


def test_sigkilled_process_session_becomes_abandoned_with_its_events(home: Path) -> None:
    """A process killed with SIGKILL mid-session: the next optimizer marks it ABANDONED and keeps flushed events."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _VICTIM], env=_env(home), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    opt = SessionOptimizer(home)
    try:
        assert opt.get_session(sid).status is SessionStatus.ACTIVE  # owner still alive: left alone
    finally:
        opt.shutdown()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    opt = SessionOptimizer(home)
    try:
        session = opt.get_session(sid)
        assert session.status is SessionStatus.ABANDONED
        assert session.event_count == 10 and session.tokens.input_tokens == 50
        assert session.ended_at == session.last_event_at
    finally:
        opt.shutdown()


def test_a_killed_process_not_yet_reaped_by_its_parent_is_known_dead(home: Path) -> None:
    """Killed, but its exit status not yet collected (a zombie): the next optimizer still marks it ABANDONED."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _VICTIM], env=_env(home), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    os.kill(proc.pid, signal.SIGKILL)
    for _ in range(2_000):  # the kernel marks it a zombie within milliseconds; no wait() yet
        if Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.005)
    try:
        opt = SessionOptimizer(home)
        try:
            assert opt.get_session(sid).status is SessionStatus.ABANDONED
        finally:
            opt.shutdown()
    finally:
        proc.wait(timeout=10)
        proc.stdout.close()


def test_sigterm_flushes_and_abandons(home: Path) -> None:
    """SIGTERM (left at its default by the host) flushes pending events, ends the session, and still terminates."""
    code = _VICTIM.replace("opt.flush()\n", "")
    proc = subprocess.Popen([sys.executable, "-c", code], env=_env(home), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == -signal.SIGTERM
    proc.stdout.close()
    opt = SessionOptimizer(home)
    try:
        session = opt.get_session(sid)
        assert session.status is SessionStatus.ABANDONED and session.event_count == 10
    finally:
        opt.shutdown()


def test_normal_exit_with_open_session_ends_it_abandoned(home: Path) -> None:
    """A script that exits without ending its session leaves it ABANDONED with every event stored."""
    code = _VICTIM.replace("opt.flush()\n", "").replace("time.sleep(60)", "")
    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(home), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    opt = SessionOptimizer(home)
    try:
        session = opt.get_session(result.stdout.strip())
        assert session.status is SessionStatus.ABANDONED and session.event_count == 10
    finally:
        opt.shutdown()


_FORKER = """
import os, sys
from sessionoptimizer_sdk import SessionOptimizer
opt = SessionOptimizer()
@opt.tool("child_work")
def child_work():
    return 1
with opt.session("NEXUS", "Fork a worker", model="sonnet") as s:
    opt.flush()
    pid = os.fork()
    if pid == 0:
        child_work()
        sys.exit(0)  # a normal exit: atexit handlers run in the child
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    print(opt.get_session(s.id).status.value)
    child_work()
session = opt.get_session(s.id)
print(session.status.value, session.event_count)
"""


def test_forked_child_exiting_does_not_end_the_parents_session(home: Path) -> None:
    """A child forked inside a session records its tool call there, and its exit leaves the session running."""
    result = subprocess.run(
        [sys.executable, "-c", _FORKER],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ACTIVE", "COMPLETED", "2"]
