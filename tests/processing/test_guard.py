"""The one guard: swallows, counts and rate-limits SDK faults; re-raises them in strict mode."""

from __future__ import annotations

import logging
import time

import pytest

from sessionoptimizer_sdk._internal import safety
from sessionoptimizer_sdk._internal.safety import Guard


def test_guard_swallows_counts_and_logs_a_fault_once_per_interval(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Three faults in one interval make one log line; after it the fault is logged again, with 2 suppressed."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    guard = Guard("test.rate_limit")
    before = safety.internal_error_count()
    with caplog.at_level(logging.ERROR, logger="sessionoptimizer.internal"):
        for _ in range(3):
            with guard:
                raise ValueError("boom")
        assert caplog.text.count("site='test.rate_limit'") == 1
        clock[0] += safety.LOG_INTERVAL
        with guard:
            raise ValueError("boom")
    assert caplog.text.count("site='test.rate_limit'") == 2
    assert "suppressed=2" in caplog.text
    assert safety.internal_error_count() - before == 4


def test_guard_as_decorator_returns_none_on_a_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decorated function's fault is swallowed (it returns None); its normal result passes through."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")

    @Guard("test.decorator")
    def divide(a: int, b: int) -> float:
        return a / b

    assert divide(6, 3) == 2.0
    assert divide(1, 0) is None


def test_strict_mode_re_raises_and_base_exceptions_always_pass() -> None:
    """With SESSIONOPTIMIZER_STRICT=1 (set by the suite) the fault propagates; KeyboardInterrupt is never swallowed."""
    guard = Guard("test.strict")
    with pytest.raises(ValueError, match="strict"), guard:
        raise ValueError("strict")
    with pytest.raises(KeyboardInterrupt), guard:
        raise KeyboardInterrupt
