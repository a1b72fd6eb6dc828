"""SQLite store methods of the team server (session origin, tokens) and of closing the loop (enablements).

Schema versions 3 and 4; mixed into ``SQLiteStore`` (``_pg_team.py`` is the PostgreSQL twin, same semantics).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from .._internal.jsonsafe import dumps
from ._rows import ORIGIN_HOST, ORIGIN_SOURCE, origin_ids_query

__all__ = ["SQLiteTeamMethods"]

_ORIGIN = f"{ORIGIN_HOST}, {ORIGIN_SOURCE}"


class SQLiteTeamMethods:
    """Origin, token and enablement methods over the store's connections (``_conn``, ``transaction``)."""

    _conn: Callable[[], sqlite3.Connection]
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]

    # --- enablements (closing the loop: when guidance or the guard was switched on) --------------
    def record_enablement(
        self,
        agent: str,
        kind: str,
        *,
        action: str = "enabled",
        at: float | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Record that ``kind`` ("guidance" | "guard") was enabled/disabled for ``agent`` at ``at`` (epoch s)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO enablements (agent, kind, action, at, detail) VALUES (?,?,?,?,?)",
                (agent, kind, action, time.time() if at is None else at, dumps(detail or {})),
            )

    def list_enablements(self, agent: str) -> list[dict[str, Any]]:
        """The agent's enablement records, oldest first."""
        rows = self._conn().execute(
            "SELECT kind, action, at, detail FROM enablements WHERE agent = ? ORDER BY at, id", (agent,)
        )
        return [
            {"kind": k, "action": a, "at": float(t), "detail": json.loads(d)}
            for k, a, t, d in rows.fetchall()
        ]

    # --- team server: session origin (host, source) and ingest/read tokens (schema version 3) --------
    def set_session_origin(
        self, session_id: str, *, host: str | None, source: str | None, replace: bool = False
    ) -> None:
        """Record where a session came from; the first known host and source are kept unless ``replace``."""
        sql = (
            "UPDATE sessions SET host = coalesce(?, host), source = coalesce(?, source) WHERE id = ?"
            if replace
            else "UPDATE sessions SET host = coalesce(host, ?), source = coalesce(source, ?) WHERE id = ?"
        )
        with self.transaction() as conn:
            conn.execute(sql, (host, source, session_id))

    def delete_events(self, session_id: str) -> int:
        """Delete a session's events (its totals follow through the delete trigger); return how many."""
        with self.transaction() as conn:
            return int(conn.execute("DELETE FROM events WHERE session_id = ?", (session_id,)).rowcount)

    def session_origins(self, session_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(host, source) of each given session that exists.

        Sessions stored before version 3 (or by a local SDK) fall back to their owner's host, and to ``sdk``
        when they have trace ids (``import`` otherwise).
        """
        out: dict[str, tuple[str | None, str | None]] = {}
        ids = list(session_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = f"SELECT id, {_ORIGIN} FROM sessions WHERE id IN ({','.join('?' * len(chunk))})"
            for sid, host, source in self._conn().execute(sql, chunk):
                out[sid] = (host, source)
        return out

    def session_ids_by_origin(
        self, *, host: str | None = None, source: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Ids of the newest sessions recorded on ``host`` and/or from ``source``."""
        sql, params = origin_ids_query(host, source, limit)
        return [row[0] for row in self._conn().execute(sql, params)]

    def idle_active_sessions(self, sources: Sequence[str], before: float) -> list[tuple[str, float]]:
        """(id, last event time) of ACTIVE sessions from ``sources`` with no event since ``before``."""
        marks = ",".join("?" * len(sources))
        sql = (
            "SELECT id, coalesce(last_event_at, started_at) FROM sessions WHERE status = 'ACTIVE' "
            f"AND source IN ({marks}) AND coalesce(last_event_at, started_at) < ?"
        )
        return [(r[0], float(r[1])) for r in self._conn().execute(sql, [*sources, before])]

    def add_token(self, token_id: str, *, kind: str, agent: str | None, secret_sha256: str) -> None:
        """Store a new token by its public id and the SHA-256 of its secret (the secret is never stored)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO ingest_tokens (id, kind, agent, secret_sha256, created_at) VALUES (?,?,?,?,?)",
                (token_id, kind, agent, secret_sha256, time.time()),
            )

    def find_token(self, secret_sha256: str) -> dict[str, Any] | None:
        """The unrevoked token whose secret hashes to ``secret_sha256``, or None."""
        row = (
            self._conn()
            .execute(
                "SELECT id, kind, agent, created_at FROM ingest_tokens "
                "WHERE secret_sha256 = ? AND revoked_at IS NULL",
                (secret_sha256,),
            )
            .fetchone()
        )
        return dict(zip(("id", "kind", "agent", "created_at"), row, strict=True)) if row else None

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token (id, kind, agent, created_at, revoked_at), oldest first; never the secret."""
        keys = ("id", "kind", "agent", "created_at", "revoked_at")
        sql = f"SELECT {', '.join(keys)} FROM ingest_tokens ORDER BY created_at, id"
        return [dict(zip(keys, row, strict=True)) for row in self._conn().execute(sql)]

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token by id; False if no such unrevoked token."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE ingest_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (time.time(), token_id),
            )
            return cur.rowcount == 1

    def count_tokens(self, kind: str) -> int:
        """How many unrevoked tokens of ``kind`` (``ingest`` or ``read``) exist."""
        sql = "SELECT count(*) FROM ingest_tokens WHERE kind = ? AND revoked_at IS NULL"
        return int(self._conn().execute(sql, (kind,)).fetchone()[0])
