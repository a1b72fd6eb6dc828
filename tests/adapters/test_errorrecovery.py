"""ErrorRecovery adapter: every failed attempt inside with_recovery becomes an ERROR event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from sessionoptimizer_sdk import AdapterUnavailable, EventType, SessionOptimizer
from sessionoptimizer_sdk.adapters import ErrorRecoveryAdapter


def _errors(optimizer: SessionOptimizer, sid: str) -> list[dict[str, Any]]:
    return [dict(e.data) for e in optimizer.get_events(sid) if e.event_type is EventType.ERROR]


def _flaky(failures: int) -> Callable[[], str]:
    state = {"left": failures}

    def build() -> str:
        if state["left"]:
            state["left"] -= 1
            raise RuntimeError("Build failed")
        return "ok"

    return build


def test_recovered_retries_are_logged_per_attempt(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """Two failures then a success: two ERROR events, attempts 1 and 2, both marked recovered."""
    recovery = ErrorRecoveryAdapter(optimizer, teambrain.errorrecovery)
    build = recovery.with_recovery(strategy="retry", max_attempts=3)(_flaky(2))
    with optimizer.session("BOLT", "Execute task") as s:
        assert build() == "ok"
    errors = _errors(optimizer, s.id)
    assert [(e["attempt"], e["recovered"], e["recovery_strategy"]) for e in errors] == [
        (1, True, "retry"),
        (2, True, "retry"),
    ]
    assert errors[0]["message"] == "Build failed" and errors[0]["error_type"] == "RuntimeError"


def test_exhausted_retries_reraise_the_same_exception_and_log_unrecovered(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """When every attempt fails the agent sees the tool's exception, and each attempt is logged unrecovered."""
    recovery = ErrorRecoveryAdapter(optimizer, teambrain.errorrecovery)
    build = recovery.with_recovery(strategy="retry", max_attempts=3)(_flaky(5))
    with optimizer.session("BOLT", "Execute task") as s, pytest.raises(RuntimeError, match="Build failed"):
        build()
    assert [(e["attempt"], e["recovered"]) for e in _errors(optimizer, s.id)] == [
        (1, False),
        (2, False),
        (3, False),
    ]


def test_fallback_strategy_counts_as_recovered(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A fallback value after the last attempt is a recovery: the call returns it and the errors say so."""
    recovery = ErrorRecoveryAdapter(optimizer, teambrain.errorrecovery)
    build = recovery.with_recovery(strategy="fallback", max_attempts=2, fallback="cached")(_flaky(9))
    with optimizer.session("BOLT", "x") as s:
        assert build() == "cached"
    assert [(e["attempt"], e["recovered"]) for e in _errors(optimizer, s.id)] == [(1, True), (2, True)]


def test_retry_loop_is_visible_to_the_analysis(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A call that fails three times in a row shows up as errors in the session's report."""
    recovery = ErrorRecoveryAdapter(optimizer, teambrain.errorrecovery)
    build = recovery.with_recovery(strategy="retry", max_attempts=3)(_flaky(3))
    with optimizer.session("BOLT", "x") as s, pytest.raises(RuntimeError):
        build()
    report = optimizer.analyze(s.id)
    assert report.metrics.get("tool_calls", 0) >= 1
    assert report.issues, "three failed attempts of one call must be reported"


def test_coroutine_functions_are_observed(optimizer: SessionOptimizer) -> None:
    """An async function under an async-aware with_recovery gets its failed attempts logged too."""

    def with_recovery(strategy: str = "retry", max_attempts: int = 3) -> Callable[[Any], Any]:
        def decorate(fn: Any) -> Any:
            async def run() -> Any:
                for attempt in range(max_attempts):
                    try:
                        return await fn()
                    except ValueError:
                        if attempt == max_attempts - 1:
                            raise
                return None

            return run

        return decorate

    state = {"n": 0}

    async def fetch() -> int:
        state["n"] += 1
        if state["n"] == 1:
            raise ValueError("timeout")
        return state["n"]

    recovery = ErrorRecoveryAdapter(optimizer, with_recovery)
    observed = recovery.with_recovery(strategy="retry")(fetch)

    async def main() -> int:
        async with optimizer.session("NEXUS", "async") as s:
            value: int = await observed()
        state["sid"] = s.id  # type: ignore[assignment]
        return value

    assert asyncio.run(main()) == 2
    assert [(e["attempt"], e["recovered"]) for e in _errors(optimizer, str(state["sid"]))] == [(1, True)]


def test_missing_function_raises_adapter_unavailable(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace
) -> None:
    """A module without with_recovery is refused at creation, naming the missing function."""
    with pytest.raises(AdapterUnavailable, match="with_recovery"):
        ErrorRecoveryAdapter(optimizer, teambrain.agenthealth)


def test_tool_that_raises_when_decorating_keeps_the_agent_function(
    optimizer: SessionOptimizer, teambrain: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    """If with_recovery itself raises, the agent's function still works (without retries) and it is logged."""
    recovery = ErrorRecoveryAdapter(optimizer, teambrain.errorrecovery)
    with caplog.at_level(logging.WARNING, logger="sessionoptimizer.adapters"):
        build = recovery.with_recovery(strategy="pray", max_attempts=3)(_flaky(1))
    assert recovery.failures == 1 and "pray" in caplog.text
    with optimizer.session("BOLT", "x") as s:
        with pytest.raises(RuntimeError):
            build()
        assert build() == "ok"
    assert [(e["attempt"], e["recovered"]) for e in _errors(optimizer, s.id)] == [(1, False)]
    assert "recovery_strategy" in _errors(optimizer, s.id)[0]
