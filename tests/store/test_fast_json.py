"""The fast JSON paths (orjson) give the same values as the stdlib did, including on input orjson refuses."""

from __future__ import annotations

import io
import json
import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sessionoptimizer_sdk._internal.jsonsafe import dumps
from sessionoptimizer_sdk.importers._reader import iter_lines
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)


def _store_with_raw_data(tmp_path: Path, raws: list[str]) -> SQLiteStore:
    """A store whose events carry the given raw ``data`` texts, as older builds or other writers left them."""
    store = SQLiteStore(tmp_path / "so.db")
    store.upsert_session(Session("s1", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0))
    events = [SessionEvent(f"e{i}", "s1", EventType.TOOL_CALL, T0, {"i": i}) for i in range(len(raws))]
    store.insert_events(events)
    conn = sqlite3.connect(store.path)
    for i, raw in enumerate(raws):
        conn.execute("UPDATE events SET data = ? WHERE id = ?", (raw, f"e{i}"))
    conn.commit()
    conn.close()
    return store


def test_stored_event_data_reads_back_like_the_stdlib_would(tmp_path: Path) -> None:
    """Stored data orjson refuses (NaN, a 70-bit int) still loads; text that is not JSON is kept, marked unreadable."""
    raws = ['{"a": NaN}', '{"big": 1180591620717411303424}', "not json", "", "{}", "[1, 2]", '{"k": "é"}']
    events = _store_with_raw_data(tmp_path, raws).get_events("s1")
    data = [dict(e.data) for e in events]
    assert math.isnan(data[0]["a"])
    assert data[1] == {"big": 2**70}
    assert data[2] == {"_unreadable": "not json"}
    assert data[3] == {} and data[4] == {}
    assert data[5] == {"value": [1, 2]}
    assert data[6] == {"k": "é"}


def test_loaded_events_keep_every_column(tmp_path: Path) -> None:
    """An event read back equals the event written: type, time, tokens, duration, name, error fields and data."""
    store = SQLiteStore(tmp_path / "so.db")
    store.upsert_session(Session("s1", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0))
    written = SessionEvent(
        "e1",
        "s1",
        EventType.ERROR,
        T0,
        {"tool": "pytest", "n": [1, None]},
        1,
        2,
        3,
        4,
        5,
        12.5,
        "pytest",
        True,
        "x",
    )
    store.insert_events([written])
    (read,) = store.get_events("s1")
    assert read.seq > 0
    assert (read.id, read.session_id, read.event_type, read.timestamp) == ("e1", "s1", EventType.ERROR, T0)
    assert dict(read.data) == {"tool": "pytest", "n": [1, None]}
    assert (read.tokens_input, read.tokens_output, read.cache_read_tokens, read.cache_write_tokens) == (
        1,
        2,
        3,
        4,
    )
    assert (read.reasoning_tokens, read.duration_ms, read.name, read.is_error, read.error_type) == (
        5,
        12.5,
        "pytest",
        True,
        "x",
    )
    with pytest.raises(TypeError):
        read.data["tool"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"a": 1, "b": "é", "c": [1.5, True]}, {"a": 1, "b": "é", "c": [1.5, True]}),
        ({"x": None}, {"x": None}),
        ({"nan": float("nan"), "inf": float("inf")}, {"nan": "nan", "inf": "inf"}),
        ({"big": 2**70}, {"big": str(2**70)}),
        ({"s": "a\ud800b"}, {"s": "a?b"}),
        ({"t": (1, 2)}, {"t": [1, 2]}),
        ({"when": datetime(2026, 1, 2, tzinfo=UTC)}, {"when": repr(datetime(2026, 1, 2, tzinfo=UTC))}),
        ({"k": {1: "int key"}}, {"k": {"1": "int key"}}),
    ],
    ids=[
        "plain",
        "null",
        "non-finite",
        "huge-int",
        "lone-surrogate",
        "tuple",
        "other-type-as-repr",
        "int-key",
    ],
)
def test_event_data_encoding_is_compact_json_with_odd_values_as_text(
    data: dict[str, object], expected: object
) -> None:
    """Encoded event data decodes to the same values; NaN/inf, huge ints and lone surrogates become text."""
    text = dumps(data)
    assert json.loads(text) == expected
    assert text == json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)  # compact, UTF-8


def _lines(payload: bytes) -> list[tuple[int, int, object, object]]:
    return list(iter_lines(io.BytesIO(payload), 0, 0))


def test_transcript_lines_orjson_refuses_are_read_as_before() -> None:
    """A line with NaN is still a record; a broken line and a non-object line are skipped with the stdlib's reason."""
    out = _lines(b'{"a": NaN}\n{"b": 1\n[1]\n{"c": 2}\n')
    assert math.isnan(out[0][2]["a"])  # type: ignore[index]
    assert out[1][2] is None and str(out[1][3]).startswith("not valid JSON: Expecting ',' delimiter")
    assert out[2][3] == "not a JSON object (got list)"
    assert out[3][2] == {"c": 2}
    assert [o[1] for o in out] == [11, 19, 23, 32]  # offsets after each line


def test_a_truncated_last_line_is_not_consumed() -> None:
    """An incomplete last line (no newline, not yet valid JSON) keeps its start offset so it is read again."""
    out = _lines(b'{"a": 1}\n{"b": ')
    assert out[0][2] == {"a": 1}
    assert out[1][1] == 9 and out[1][2] is None
