"""Parsers build events with ``new_event``: the very same frozen SessionEvent as its constructor gives."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from sessionoptimizer_sdk.importers import _common
from sessionoptimizer_sdk.importers._common import new_event
from sessionoptimizer_sdk.models import EventType, SessionEvent

T0 = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
_ARGS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("e1", "s", EventType.AI_RESPONSE, T0, {"model": "m"}, 10, 20, 30, 40), {"name": "m"}),
    (
        ("e2", "s", EventType.ERROR, T0, {"message": "x"}),
        {"name": "Bash", "is_error": True, "error_type": "exit"},
    ),
    (("e3", "s", EventType.TOOL_CALL, T0, {"a": [1]}, 0, 0, 0, 0, 0, 12.5, "Read", False, None, 7), {}),
    (("e4", "s", EventType.USER_MESSAGE, T0), {}),
]


@pytest.mark.parametrize(("args", "kwargs"), _ARGS)
@pytest.mark.parametrize("fast", [True, False], ids=["unfrozen-twin", "constructor"])
def test_new_event_equals_the_constructed_event(
    args: tuple[Any, ...], kwargs: dict[str, Any], fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same type, every field, equality and repr; and it is as immutable as a constructed one."""
    monkeypatch.setattr(_common, "_FAST_EVENTS", fast)
    built, expected = new_event(*args, **kwargs), SessionEvent(*args, **kwargs)
    assert type(built) is SessionEvent
    names = [f.name for f in dataclasses.fields(SessionEvent)]
    assert [getattr(built, n) for n in names] == [getattr(expected, n) for n in names]
    assert built == expected and repr(built) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.name = "changed"  # type: ignore[misc]
