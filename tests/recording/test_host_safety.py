"""Instrumented code behaves exactly as without the SDK, whatever its arguments and results look like."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import EventType, InvalidInputError, SessionOptimizer


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")


def test_arguments_with_broken_repr_do_not_break_the_call(
    optimizer: SessionOptimizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool whose argument cannot be repr()'d still runs and returns; the SDK fault is only logged."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")

    @optimizer.tool("weird")
    def weird(obj: object) -> str:
        return "done"

    with optimizer.session("ATLAS", "Broken repr", model="sonnet"):
        assert weird(_BrokenRepr()) == "done"


def test_huge_results_cost_bounded_time(optimizer: SessionOptimizer) -> None:
    """A tool returning 200 MB is recorded with its size, and hashing it stays bounded (well under a second)."""
    big = "x" * 200_000_000

    @optimizer.tool("dump")
    def dump() -> str:
        return big

    with optimizer.session("ATLAS", "Huge output", model="sonnet") as s:
        started = time.perf_counter()
        assert dump() is big
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    (event,) = optimizer.get_events(s.id)
    assert event.data["result_chars"] == 200_000_000


def test_deep_recursion_through_a_tool(optimizer: SessionOptimizer) -> None:
    """A recursive decorated tool works at depth 200 and records every call."""

    @optimizer.tool("walk")
    def walk(n: int) -> int:
        return 0 if n == 0 else 1 + walk(n - 1)

    with optimizer.session("ATLAS", "Recursion", model="sonnet") as s:
        assert walk(200) == 200
    assert optimizer.get_session(s.id).event_count == 201


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # a new session per example
@given(
    data=st.dictionaries(st.text(max_size=12), _json, max_size=4)
    | st.none()
    | st.integers()
    | st.text(max_size=3),
    tokens=st.integers(-(2**70), 2**70) | st.floats() | st.none() | st.booleans(),
    event_type=st.sampled_from(list(EventType)) | st.text(max_size=12),
)
def test_log_event_either_records_exactly_or_refuses_cleanly(
    optimizer: SessionOptimizer, data: object, tokens: object, event_type: object
) -> None:
    """Arbitrary input to log_event is stored as given, or refused with an InvalidInputError and nothing stored."""
    sid = optimizer.start_session("FUZZ", "log_event fuzz").id
    before = optimizer.store.count_events(sid)
    try:
        event = optimizer.log_event(sid, event_type, data, tokens)  # type: ignore[arg-type]
    except InvalidInputError:  # bad input is refused with a specific error; anything else fails the test
        assert optimizer.store.count_events(sid) == before
        return
    stored = optimizer.get_events(sid)
    assert len(stored) == before + 1
    assert stored[-1].id == event.id and stored[-1].tokens_input == tokens


def test_host_seeding_random_never_merges_events(home: object) -> None:
    """A host calling random.seed(0) before every event (reproducible agents do) loses no event."""
    import random

    opt = SessionOptimizer(home)  # type: ignore[arg-type]
    try:
        ids = []
        for _ in range(2):
            with opt.session("SEEDED", "reproducible run") as s:
                for _ in range(5):
                    random.seed(0)
                    s.log(EventType.AI_RESPONSE, tokens_output=1)
            ids.append(s.id)
        assert [opt.get_session(sid).event_count for sid in ids] == [5, 5]
    finally:
        opt.shutdown()


def test_seeded_host_on_an_sdk_provider_keeps_each_sessions_events(optimizer: SessionOptimizer) -> None:
    """On the application's SDK provider (whose ids follow the global RNG) equal span ids in two sessions both stay."""
    import random

    ids = []
    for _ in range(2):
        random.seed(1234)
        with optimizer.session("SEEDED", "same seed every run") as s:
            s.log(EventType.AI_RESPONSE, tokens_output=1)
        ids.append(s.id)
    assert [optimizer.get_session(sid).event_count for sid in ids] == [1, 1]


def test_events_are_stored_with_opentelemetry_disabled(home: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_SDK_DISABLED turns spans off, not recording: every tool call and event is still stored."""
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    opt = SessionOptimizer(home)  # type: ignore[arg-type]

    @opt.tool("step")
    def step(i: int) -> int:
        return i

    try:
        with opt.session("ATLAS", "OTel disabled", model="sonnet") as s:
            for i in range(3):
                step(i)
            for _ in range(3):
                s.log(EventType.AI_RESPONSE, tokens_output=1)
        session = opt.get_session(s.id)
        assert session.event_count == 6 and session.tokens.output_tokens == 3
    finally:
        opt.shutdown()


_SUSPENDED_AT_EXIT = """
from sessionoptimizer_sdk import SessionOptimizer
opt = SessionOptimizer()

@opt.tool
def pages():
    yield 1
    yield 2

opt.session("ATLAS", "left suspended").__enter__()
g = pages()
next(g)  # still suspended when the interpreter exits
print("end")
"""


def test_a_decorated_generator_left_suspended_at_exit_prints_nothing(home: object) -> None:
    """A tool generator still suspended when the interpreter exits ends as silently as an undecorated one."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(home), "SESSIONOPTIMIZER_STRICT": "0"}
    proc = subprocess.run(
        [sys.executable, "-c", _SUSPENDED_AT_EXIT], env=env, capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "end\n", "")
