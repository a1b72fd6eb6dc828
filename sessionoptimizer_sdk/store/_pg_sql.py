"""SQL statements and parameter builders of the PostgreSQL store (``%s`` placeholders)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .._internal.jsonsafe import dumps
from ..models import Session, SessionStatus
from . import _rows
from ._rows import EVENT_COLUMNS, to_ts

__all__ = [
    "ADD_COUNTER",
    "ADD_TOTALS",
    "COPY_EVENTS",
    "CREATE_SESSION",
    "DELETE_EVENTS",
    "END_SESSION",
    "INSERT_ALERT",
    "UPDATE_ALERT",
    "INSERT_EVENTS",
    "KEEP_ORIGIN",
    "MARK_ABANDONED",
    "REPLACE_EVENTS",
    "REPLACE_ORIGIN",
    "SAVE_REPORT",
    "SEQ_RANGE",
    "SET_CURSOR",
    "UPSERT_SESSION",
    "alert_dict",
    "alerts_query",
    "event_columns",
    "pg_text",
    "remote_session_values",
    "report_values",
    "session_filter",
    "session_values",
    "totals",
    "typed_rows",
]

_SESSION_INSERT = "id, agent, task, model, status, started_at, ended_at, metadata, trace_id, span_id"
CREATE_SESSION = (
    f"INSERT INTO sessions ({_SESSION_INSERT}, owner_pid, owner_host, owner_start) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING"
)
UPSERT_SESSION = (
    f"INSERT INTO sessions ({_SESSION_INSERT}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO UPDATE "
    "SET agent = excluded.agent, task = excluded.task, model = excluded.model, status = excluded.status, "
    "started_at = least(sessions.started_at, excluded.started_at), ended_at = excluded.ended_at, "
    "metadata = excluded.metadata"
)
END_SESSION = "UPDATE sessions SET status = %s, ended_at = %s WHERE id = %s AND status = 'ACTIVE'"
#: A session's origin: the first known host and source kept, or (a transcript import) overwritten.
KEEP_ORIGIN = "UPDATE sessions SET host = coalesce(host, %s), source = coalesce(source, %s) WHERE id = %s"
REPLACE_ORIGIN = "UPDATE sessions SET host = coalesce(%s, host), source = coalesce(%s, source) WHERE id = %s"
#: A session's events (the delete trigger takes them out of its totals).
DELETE_EVENTS = "DELETE FROM events WHERE session_id = %s"
MARK_ABANDONED = (
    "UPDATE sessions SET status = 'ABANDONED', ended_at = coalesce(last_event_at, started_at) "
    "WHERE id = ANY(%s) AND status = 'ACTIVE'"
)

_TYPES = ("text", "text", "text", "float8", "float8", "text", "int4", "text", *["int8"] * 5, "text")
_UNNEST = "unnest(" + ", ".join(f"%s::{t}[]" for t in _TYPES) + ")"
_TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")

#: New rows only (known ids are skipped); the rows actually inserted add to their sessions' totals in the same
#: statement, so totals move exactly once per stored event however often a batch is retried.
INSERT_EVENTS = f"""
WITH ins AS (
    INSERT INTO events ({EVENT_COLUMNS}) SELECT * FROM {_UNNEST}
    ON CONFLICT (session_id, id) DO NOTHING
    RETURNING session_id, {", ".join(_TOKENS)}, is_error, type, ts
), t AS (
    SELECT session_id AS sid, {", ".join(f"sum({c}) AS {c}" for c in _TOKENS)}, count(*) AS n,
        sum(CASE WHEN is_error <> 0 OR type = 'ERROR' THEN 1 ELSE 0 END) AS e, max(ts) AS last
    FROM ins GROUP BY session_id
), upd AS (
    UPDATE sessions SET {", ".join(f"{c} = sessions.{c} + t.{c}" for c in _TOKENS)},
        event_count = event_count + t.n, error_count = error_count + t.e,
        last_event_at = greatest(coalesce(last_event_at, t.last), t.last)
    FROM t WHERE sessions.id = t.sid
)
SELECT coalesce(sum(n), 0) FROM t
"""

#: After an insert: the last ``seq`` this connection drew (``currval``, never another session's), how many visible
#: rows hold the ``n`` seqs up to it, and whether the first of them is our first row. ``n`` rows there with our
#: first row at the bottom means our rows (given increasing seqs in row order) got exactly those ``n`` seqs.
SEQ_RANGE = """
WITH last AS (SELECT currval(pg_get_serial_sequence('events', 'seq')) AS v)
SELECT last.v, count(e.seq),
    coalesce(bool_or(e.seq = last.v - %(n)s + 1 AND e.session_id = %(sid)s AND e.id = %(id)s), false)
FROM last LEFT JOIN events e ON e.seq > last.v - %(n)s AND e.seq <= last.v GROUP BY last.v
"""

COPY_EVENTS = f"COPY events ({EVENT_COLUMNS}) FROM STDIN"
#: Session totals of rows known to be new (a COPY that succeeded), aggregated in Python per session.
ADD_TOTALS = (
    "UPDATE sessions SET "
    + ", ".join(f"{c} = sessions.{c} + t.{c}" for c in _TOKENS)
    + ", event_count = event_count + t.n, error_count = error_count + t.e, "
    "last_event_at = greatest(coalesce(last_event_at, t.last), t.last) "
    "FROM unnest(%s::text[], %s::int8[], %s::int8[], %s::int8[], %s::int8[], %s::int8[], %s::int8[], "
    f"%s::int8[], %s::float8[]) AS t(sid, {', '.join(_TOKENS)}, n, e, last) WHERE sessions.id = t.sid"
)

_COLS = [c.strip() for c in EVENT_COLUMNS.split(",")]
#: Overwrite same-id rows (imports correcting values); the update trigger moves the totals.
REPLACE_EVENTS = (
    "UPDATE events SET "
    + ", ".join(f"{c} = v.{c}" for c in _COLS if c not in ("id", "session_id"))
    + f" FROM {_UNNEST} AS v({', '.join(_COLS)}) WHERE events.session_id = v.session_id AND events.id = v.id"
)

SAVE_REPORT = (
    "INSERT INTO reports (session_id, agent, generated_at, provisional, efficiency_score, total_waste_tokens, "
    "cost_usd, report) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (session_id) DO UPDATE SET "
    "agent = excluded.agent, generated_at = excluded.generated_at, provisional = excluded.provisional, "
    "efficiency_score = excluded.efficiency_score, total_waste_tokens = excluded.total_waste_tokens, "
    "cost_usd = excluded.cost_usd, report = excluded.report"
)
UPDATE_ALERT = "UPDATE alerts SET message = %s, payload = %s WHERE session_id = %s AND rule = %s"
INSERT_ALERT = (
    "INSERT INTO alerts (session_id, agent, rule, priority, message, created_at, payload) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (session_id, rule) DO NOTHING"
)
SET_CURSOR = (
    "INSERT INTO cursors (key, value, updated_at) VALUES (%s,%s,%s) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
)
ADD_COUNTER = (
    "INSERT INTO counters (name, value) VALUES (%s, %s) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value"
)
_ALERT_KEYS = ("id", "session_id", "agent", "rule", "priority", "message", "created_at", "payload")


def pg_text(value: Any) -> str:
    """``value`` as text PostgreSQL can hold: a NUL character (SQLite keeps it) becomes U+FFFD.

    Applied to descriptive columns (agent, task, model, event name, error type), never to ids: a NUL in an id
    fails the write with ``UnstorableValue`` instead of silently naming another session.
    """
    text = str(value)
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


_CONVERT: tuple[Any, ...] = (str, str, str, float, float, pg_text, int, pg_text, int, int, int, int, int, str)


def typed_rows(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Event rows with each value converted to its column's type (for COPY)."""
    conv = _CONVERT
    return [tuple(None if v is None else conv[i](v) for i, v in enumerate(row)) for row in rows]


def totals(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Per-session sums of typed event rows, as the column arrays of :data:`ADD_TOTALS`."""
    acc: dict[str, list[Any]] = {}
    for row in rows:
        a = acc.get(row[1])
        if a is None:
            a = acc[row[1]] = [0, 0, 0, 0, 0, 0, 0, row[3]]
        for k in range(5):
            a[k] += row[8 + k] or 0
        a[5] += 1
        a[6] += 1 if (row[6] or row[2] == "ERROR") else 0
        a[7] = max(a[7], row[3])
    sids = list(acc)
    return [sids, *([acc[s][k] for s in sids] for k in range(8))]


def event_columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Event rows (``EVENT_COLUMNS`` order) as one typed list per column, for ``unnest``."""
    out: list[list[Any]] = []
    for index, convert in enumerate(_CONVERT):
        out.append([None if row[index] is None else convert(row[index]) for row in rows])
    return out


def session_values(session: Session) -> tuple[Any, ...]:
    """The first ten session columns of an INSERT."""
    return (
        session.id,
        pg_text(session.agent),
        pg_text(session.task),
        pg_text(session.model),
        session.status.value,
        to_ts(session.started_at),
        to_ts(session.ended_at),
        dumps(session.metadata),
        session.trace_id,
        session.span_id,
    )


def remote_session_values(session: Session, host: str | None, source: str) -> tuple[Any, ...]:
    """The parameters of ``CREATE_REMOTE_SESSION`` (descriptive text NUL-safe, as ``session_values``)."""
    return (*session_values(session), None if host is None else pg_text(host), source)


def report_values(
    session_id: str, agent: str, report: Mapping[str, Any], at: float | None = None
) -> tuple[Any, ...]:
    """Parameters of :data:`SAVE_REPORT` (generated at ``at``, default now)."""
    return (
        session_id,
        agent,
        time.time() if at is None else at,
        int(bool(report.get("provisional"))),
        float(report.get("efficiency_score", 0.0)),
        int(report.get("total_waste_tokens", 0)),
        report.get("cost_usd"),
        dumps(report),
    )


def session_filter(
    agent: str | None, status: SessionStatus | None, since: datetime | None, until: datetime | None
) -> tuple[str, list[Any]]:
    """WHERE clause and parameters of the session listing filters (psycopg placeholders)."""
    return _rows.session_filter(agent, status, since, until, mark="%s")


def alerts_query(session_id: str | None, since: float | None, limit: int) -> tuple[str, list[Any]]:
    """Statement and parameters listing alerts newest first."""
    clauses: list[str] = []
    params: list[Any] = []
    if session_id is not None:
        clauses.append("session_id = %s")
        params.append(session_id)
    if since is not None:
        clauses.append("created_at >= %s")
        params.append(since)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    statement = (
        f"SELECT {', '.join(_ALERT_KEYS)} FROM alerts{where} ORDER BY created_at DESC, id DESC LIMIT %s"
    )
    return statement, [*params, limit]


def alert_dict(row: Sequence[Any]) -> dict[str, Any]:
    """An alert row as the dict ``list_alerts`` returns (payload decoded)."""
    item = dict(zip(_ALERT_KEYS, row, strict=True))
    item["payload"] = json.loads(item["payload"] or "{}")
    return item
