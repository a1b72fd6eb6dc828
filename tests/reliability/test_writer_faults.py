"""Writer faults in real processes: a full disk, a read-only store, a malformed span, a dead collector."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk import EventType, SessionOptimizer
from tests._paths import REPO_ROOT

_CLI = [sys.executable, "-m", "sessionoptimizer_sdk.cli"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SESSIONOPTIMIZER_HOME": str(home),
        "SESSIONOPTIMIZER_AUTO_ANALYZE": "0",
        "SESSIONOPTIMIZER_STRICT": "0",  # the fault is the point: contained, as in production
        **extra,
    }


def _run(script: str, env: dict[str, str], *args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def _doctor(home: Path) -> Any:
    proc = subprocess.run(
        [*_CLI, "doctor", "--format", "json"], env=_env(home), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MiB tmpfs (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


_FILL = """
import os


def fill(mnt):
    \"\"\"Fill the disk at mnt to the last byte; the file to remove to free it.\"\"\"
    filler = os.path.join(mnt, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    for size in (65536, 1):
        try:
            while True:
                os.write(fd, b"x" * size)
        except OSError:
            pass
    os.close(fd)
    return filler
"""

_DISK_FULL = (
    _FILL
    + """
import os, sys
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
mnt = sys.argv[1]
with opt.session("ATLAS", "disk fills up", model="sonnet") as s:
    s.log(EventType.AI_RESPONSE, tokens_output=1)
    print(opt.flush(10))
    filler = fill(mnt)
    for _ in range(20):
        s.log(EventType.AI_RESPONSE, tokens_output=1)
    print(opt.flush(30))
    os.remove(filler)
    s.log(EventType.AI_RESPONSE, tokens_output=1)
    print(opt.flush(10))
print(s.id)
"""
)


def test_disk_full_drops_are_reported_by_flush_and_named_by_doctor(small_disk: Path) -> None:
    """With the disk full, flush returns False, and doctor counts the 20 lost events as 'disk full'."""
    home = small_disk / "home"
    ok_before, ok_full, ok_after, sid = _run(_DISK_FULL, _env(home), str(small_disk))
    assert (ok_before, ok_full, ok_after) == ("True", "False", "True")
    opt = SessionOptimizer(home)
    try:
        stored = len(opt.get_events(sid, limit=None))
    finally:
        opt.shutdown()
    assert stored == 2  # the event before the disk filled up and the one after it was freed
    body = _doctor(home)
    counters = body["store"]["counters"]
    assert counters["dropped_disk_full"] == 20 and counters["dropped_events"] == 20
    assert any("20 event(s) lost: the disk holding the store was full" in p for p in body["problems"])
    assert not any("QUEUE_SIZE" in p for p in body["problems"])


_LOST_INSIDE_THE_BLOCK = (
    _FILL
    + """
import os, sys
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
mnt = sys.argv[1]
filler = os.path.join(mnt, "filler")
with opt.session("ATLAS", "disk fills up inside the block", model="sonnet") as s:
    s.log(EventType.AI_RESPONSE, tokens_output=1)
    print(opt.flush(10))
    fill(mnt)
    for _ in range(20):
        s.log(EventType.AI_RESPONSE, tokens_output=1)
print(opt.flush(30))  # the session's end flushed internally first: the losses are still this flush's to report
os.remove(filler)
with opt.session("ATLAS", "disk freed", model="sonnet") as s:
    s.log(EventType.AI_RESPONSE, tokens_output=1)
print(opt.flush(10))
"""
)


def test_losses_inside_a_session_block_are_reported_by_the_flush_after_it(small_disk: Path) -> None:
    """Events lost inside a ``with session`` block make the user's flush after the block return False."""
    home = small_disk / "home"
    assert _run(_LOST_INSIDE_THE_BLOCK, _env(home), str(small_disk)) == ["True", "False", "True"]


_READ_ONLY = """
import os, sys, structlog, structlog.stdlib
from sessionoptimizer_sdk import SessionOptimizer, EventType
# everything imported while the interpreter's files are readable (commands load on use: load them all)
import sessionoptimizer_sdk.store, sessionoptimizer_sdk.store.recovery, sessionoptimizer_sdk.store.selection
from sessionoptimizer_sdk.cli._app import COMMANDS, cli
for name in COMMANDS:
    cli.get_command(None, name)
os.setgid(65534)
os.setuid(65534)  # nobody: file permissions apply (they do not to root)
opt = SessionOptimizer()
session = opt.start_session("ATLAS", "store turns read-only", "sonnet")
os.chmod(opt.store.path, 0o400)  # e.g. a backup tool or a mistaken chmod; the writer opens its file now
for _ in range(7):
    opt.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
print(opt.flush(30))
"""


@pytest.fixture
def nobody_home() -> Iterator[Path]:
    """A store folder owned by the unprivileged user 'nobody', in a folder that user can reach (root only)."""
    if os.geteuid() != 0:
        pytest.skip("switching to the unprivileged user 'nobody' needs root")
    top = Path(tempfile.mkdtemp(prefix="so-nobody-"))
    top.chmod(0o755)
    home = top / "home"
    home.mkdir(mode=0o700)
    os.chown(home, 65534, 65534)
    try:
        yield home
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_read_only_store_drop_counts_survive_until_after_the_repair(nobody_home: Path) -> None:
    """Events lost to a read-only store file are still counted by doctor after the file is writable again."""
    home = nobody_home
    assert _run(_READ_ONLY, _env(home)) == ["False"]
    (home / "sessionoptimizer.db").chmod(0o600)  # the repair
    counters = _doctor(home)["store"]["counters"]
    # the 7 events, and the session's end (ABANDONED at exit) that could not be written either
    assert counters["dropped_read_only"] == 8 and counters["dropped_events"] == 8
    # the next process that writes moves the counts into the store itself
    opt = SessionOptimizer(home)
    try:
        session = opt.start_session("ATLAS", "after the repair", "sonnet")
        opt.log_event(session.id, EventType.AI_RESPONSE, tokens_output=1)
        assert opt.flush(10)
        stored = opt.store.counters()
    finally:
        opt.shutdown()
    assert stored["dropped_read_only"] == 8


_BAD_SPAN = """
import math
from opentelemetry.sdk.trace import TracerProvider
from sessionoptimizer_sdk import SessionOptimizer, EventType
provider = TracerProvider()
opt = SessionOptimizer(tracer_provider=provider)
tracer = provider.get_tracer("another.instrumentation")
writer = opt._recorder.writer
with opt.session("ATLAS", "a bad span among good ones", model="sonnet") as s:
    opt.flush(10)
    writer._worker.interval = 60  # keep the next items in one batch
    s.log(EventType.AI_RESPONSE, tokens_output=1)
    with tracer.start_as_current_span("chat gpt-4o") as span:  # a model call carrying a non-finite count
        span.set_attribute("gen_ai.usage.input_tokens", math.inf)
        span.set_attribute("gen_ai.usage.output_tokens", 5)
    writer.put(object())  # an item the writer cannot map
    for _ in range(3):
        s.log(EventType.AI_RESPONSE, tokens_output=1)
    print(opt.flush(10))
print(s.id)
"""


def test_one_bad_item_does_not_lose_the_batch_behind_it(home: Path) -> None:
    """A malformed item and an inf token count cost nothing but themselves; the loss is counted as malformed."""
    ok, sid = _run(_BAD_SPAN, _env(home))
    assert ok == "False"  # one queued item was lost
    opt = SessionOptimizer(home)
    try:
        events = opt.get_events(sid, limit=None)
        counters = opt.store.counters()
    finally:
        opt.shutdown()
    # 4 logged events + the model call (its non-finite input count ignored, its 5 output tokens kept)
    assert len(events) == 5
    model_call = [e for e in events if e.tokens_output == 5]
    assert len(model_call) == 1 and model_call[0].tokens_input == 0
    assert counters.get("rejected_malformed") == 1 and counters.get("dropped_events", 0) == 0
    assert counters.get("internal_errors") == 1  # the recording process's guarded fault, shown by doctor
    assert _doctor(home)["internal_errors"] == 1


_DEAD_COLLECTOR = """
import sys, time
from sessionoptimizer_sdk import SessionOptimizer, EventType
opt = SessionOptimizer()
with opt.session("ATLAS", "collector is down", model="sonnet") as s:
    s.log(EventType.AI_RESPONSE, tokens_output=3)
print(time.time(), flush=True)
"""


def _exit_with_collector(home: Path, port: int) -> tuple[int, float]:
    """Run the one-session script exporting to 127.0.0.1:``port``; (exit code, seconds from its end to exit)."""
    env = _env(home, OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
    with subprocess.Popen(
        [sys.executable, "-c", _DEAD_COLLECTOR],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        body_done = float(proc.stdout.readline())
        proc.wait(timeout=60)
        return proc.returncode, time.time() - body_done


def test_exit_with_a_refused_collector_does_not_wait_out_the_deadline(home: Path) -> None:
    """With the OTLP collector refusing connections, the process exits well before the 5 s exit deadline."""
    with socket.socket() as probe:  # a port nobody listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    returncode, exit_seconds = _exit_with_collector(home, port)
    assert returncode == 0
    assert exit_seconds < 3.0  # the exit deadline is 5 s; retries with backoff used all of it


def test_exit_with_a_black_holed_collector_is_bounded_and_keeps_the_events(home: Path) -> None:
    """A collector that accepts connections and never answers costs at most the exit deadline; events are stored."""
    with socket.socket() as hole:  # listens (the kernel completes the handshake) but never reads or answers
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        port = hole.getsockname()[1]
        returncode, exit_seconds = _exit_with_collector(home, port)
    assert returncode == 0
    assert exit_seconds < 5.0 + 2.0  # the 5 s exit deadline, plus interpreter teardown on a loaded machine
    opt = SessionOptimizer(home)
    try:
        (session,) = opt.list_sessions(agent="ATLAS")
        assert session.status.value == "COMPLETED"
        assert [e.tokens_output for e in opt.get_events(session.id)] == [3]
    finally:
        opt.shutdown()
