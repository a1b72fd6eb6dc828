"""large_uncompressed_read's advice text, fitted to how the file was read (written out in full by hand)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType, SessionEvent
from tests.analysis._builders import T0, session


def _read(n: int, **data: Any) -> SessionEvent:
    data = {"file_path": "src/big.py", "result_tokens": 5_000, **data}
    return SessionEvent(f"e{n}", "s1", EventType.FILE_READ, T0 + timedelta(seconds=n + 1), seq=n, data=data)


_SEARCH = "Grep, or Read with offset/limit"


@pytest.mark.parametrize(
    ("events", "detail"),
    [
        ([_read(0, tool="Bash")], "Read only the part of big.py you need (rg/grep, or sed -n 'A,Bp' first)."),
        ([_read(0, tool="Read")], f"Read only the part of big.py you need ({_SEARCH} first)."),
        (
            [_read(0, tool="Read", offset=100, limit=400)],
            f"The read of big.py already was a range (from line 100); narrow it further or use {_SEARCH}.",
        ),
        (
            [_read(0, tool="Read", offset=100, limit=400), _read(1, tool="Read")],
            "Read lines 100-499 of big.py (the range used) instead of the whole file.",
        ),
    ],
)
def test_advice_fits_the_read(events: list[SessionEvent], detail: str) -> None:
    """A shell read gets shell search advice, a Read gets Grep/offset advice, a range read is never told to use one."""
    report = analyze_events(session(), events, now=T0 + timedelta(hours=1))
    got = [r.detail for r in report.recommendations if r.title == "Shrink reads of big.py"]
    assert got == [detail]
