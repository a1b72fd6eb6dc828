"""Schema of the embedded store, as an ordered list of migrations (index + 1 is the schema version)."""

from __future__ import annotations

from typing import Final

_TOKEN_COLUMNS = """
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0"""


def _totals_update(sign: str, row: str) -> str:
    """SQL assignments that add (sign '+') or subtract ('-') an event row's numbers to its session's totals."""
    return f"""
        input_tokens = input_tokens {sign} {row}.input_tokens,
        output_tokens = output_tokens {sign} {row}.output_tokens,
        cache_read_tokens = cache_read_tokens {sign} {row}.cache_read_tokens,
        cache_write_tokens = cache_write_tokens {sign} {row}.cache_write_tokens,
        reasoning_tokens = reasoning_tokens {sign} {row}.reasoning_tokens,
        event_count = event_count {sign} 1,
        error_count = error_count {sign} ({row}.is_error OR {row}.type = 'ERROR')"""


#: Inserts add to session totals once per batch (see ``ADD_INSERTED_TOTALS``), not per row in a trigger: a per-row
#: trigger halved write throughput. Deletes and updates keep their triggers. ``NOT INDEXED``: the batch's rows are
#: a rowid range; left to itself the planner scanned the whole ``(session_id, ts, seq)`` index to group by session,
#: so this step cost grew with the store (0.4 CPU us per row at the start of a session, 4.5 at 300,000 rows).
ADD_INSERTED_TOTALS: Final = """
UPDATE sessions SET
    input_tokens = input_tokens + t.i, output_tokens = output_tokens + t.o,
    cache_read_tokens = cache_read_tokens + t.cr, cache_write_tokens = cache_write_tokens + t.cw,
    reasoning_tokens = reasoning_tokens + t.r, event_count = event_count + t.n, error_count = error_count + t.e,
    last_event_at = max(coalesce(last_event_at, t.last), t.last)
FROM (
    SELECT session_id AS sid, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_read_tokens) AS cr,
        sum(cache_write_tokens) AS cw, sum(reasoning_tokens) AS r, count(*) AS n,
        sum(is_error OR type = 'ERROR') AS e, max(ts) AS last
    FROM events NOT INDEXED WHERE seq > ? GROUP BY session_id
) AS t
WHERE sessions.id = t.sid"""

#: The events table, its indexes and triggers, as version 1 creates them (and version 5 rebuilds them).
EVENTS_LAYOUT: Final = f"""CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    type TEXT NOT NULL,
    ts REAL NOT NULL,
    duration_ms REAL,
    name TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    error_type TEXT,
    {_TOKEN_COLUMNS},
    data TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX idx_events_session ON events (session_id, ts, seq);
-- Event ids are unique within their session. Span ids come from the host's RNG, which a host may seed
-- (random.seed(0) in every run): a global key would silently merge events of different sessions.
CREATE UNIQUE INDEX idx_events_id ON events (session_id, id);

CREATE TRIGGER events_after_delete AFTER DELETE ON events BEGIN
    UPDATE sessions SET {_totals_update("-", "OLD")} WHERE id = OLD.session_id;
END;
CREATE TRIGGER events_after_update AFTER UPDATE ON events BEGIN
    UPDATE sessions SET {_totals_update("-", "OLD")} WHERE id = OLD.session_id;
    UPDATE sessions SET {_totals_update("+", "NEW")},
        last_event_at = max(coalesce(last_event_at, NEW.ts), NEW.ts)
    WHERE id = NEW.session_id;
END;
"""

_V1: Final = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    metadata TEXT NOT NULL DEFAULT '{{}}',
    trace_id TEXT,
    span_id TEXT,
    owner_pid INTEGER,
    owner_host TEXT,
    owner_start TEXT,
    {_TOKEN_COLUMNS},
    event_count INTEGER NOT NULL DEFAULT 0,
    error_count INTEGER NOT NULL DEFAULT 0,
    last_event_at REAL
);
CREATE INDEX idx_sessions_started ON sessions (started_at);
CREATE INDEX idx_sessions_agent ON sessions (agent, started_at);
CREATE INDEX idx_sessions_status ON sessions (status, started_at);
CREATE INDEX idx_sessions_ended ON sessions (ended_at);

{EVENTS_LAYOUT}
CREATE TABLE reports (
    session_id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    generated_at REAL NOT NULL,
    provisional INTEGER NOT NULL,
    efficiency_score REAL NOT NULL,
    total_waste_tokens INTEGER NOT NULL,
    cost_usd REAL,
    report TEXT NOT NULL
);
CREATE INDEX idx_reports_agent ON reports (agent, generated_at);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    rule TEXT NOT NULL,
    priority TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at REAL NOT NULL,
    payload TEXT NOT NULL DEFAULT '{{}}',
    UNIQUE (session_id, rule)
);
CREATE INDEX idx_alerts_created ON alerts (created_at);
CREATE INDEX idx_alerts_session ON alerts (session_id);

CREATE TABLE cursors (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: Ordered migrations; never edit a released one, append a new one.
#: Stores created by pre-release builds of version 1 had a per-row insert trigger (on top of today's batch
#: totals: double counting) and a global unique event id. Version 2 brings them to the current layout and
#: recomputes every session's totals from its events; on a store created as version 1 today it changes nothing.
_V2: Final = """
DROP TRIGGER IF EXISTS events_after_insert;
CREATE UNIQUE INDEX IF NOT EXISTS idx_events_id ON events (session_id, id);
CREATE INDEX IF NOT EXISTS idx_sessions_ended ON sessions (ended_at);
CREATE INDEX IF NOT EXISTS idx_alerts_session ON alerts (session_id);
UPDATE sessions SET
    input_tokens = coalesce((SELECT sum(input_tokens) FROM events WHERE session_id = sessions.id), 0),
    output_tokens = coalesce((SELECT sum(output_tokens) FROM events WHERE session_id = sessions.id), 0),
    cache_read_tokens = coalesce((SELECT sum(cache_read_tokens) FROM events WHERE session_id = sessions.id), 0),
    cache_write_tokens = coalesce((SELECT sum(cache_write_tokens) FROM events WHERE session_id = sessions.id), 0),
    reasoning_tokens = coalesce((SELECT sum(reasoning_tokens) FROM events WHERE session_id = sessions.id), 0),
    event_count = (SELECT count(*) FROM events WHERE session_id = sessions.id),
    error_count = coalesce(
        (SELECT sum(is_error OR type = 'ERROR') FROM events WHERE session_id = sessions.id), 0),
    last_event_at = (SELECT max(ts) FROM events WHERE session_id = sessions.id);
"""

#: Version 3 (team server): where each session was recorded (``host``: machine name; ``source``: ``sdk``,
#: ``claude_code``, ``codex`` or ``import``) and the hashed ingest/read tokens of ``sessionoptimizer serve``.
_V3: Final = """
ALTER TABLE sessions ADD COLUMN host TEXT;
ALTER TABLE sessions ADD COLUMN source TEXT;
CREATE INDEX IF NOT EXISTS idx_sessions_host ON sessions (host, started_at);
CREATE INDEX IF NOT EXISTS idx_sessions_source ON sessions (source, started_at);
CREATE TABLE IF NOT EXISTS ingest_tokens (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    agent TEXT,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""

#: Version 4: when guidance or the live guard was enabled for an agent, to measure waste before and after.
_V4: Final = """
CREATE TABLE IF NOT EXISTS enablements (
    id INTEGER PRIMARY KEY,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('guidance', 'guard')),
    action TEXT NOT NULL CHECK (action IN ('enabled', 'disabled')),
    at REAL NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS idx_enablements_agent ON enablements (agent, at);
"""

#: Version 5: pre-release stores declared ``events.id`` UNIQUE across the whole store (a column constraint, which
#: version 2's per-session index could not remove): an event whose id another session used was dropped without a
#: word. Where that constraint exists, ``store._connection`` rebuilds the events table in ``EVENTS_LAYOUT`` before
#: this (empty) script; other stores are unchanged. PostgreSQL stays at version 4: no PostgreSQL store had it.
_V5: Final = ""

MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3, _V4, _V5)
SCHEMA_VERSION: Final = len(MIGRATIONS)
