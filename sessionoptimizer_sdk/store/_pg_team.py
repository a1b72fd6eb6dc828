"""PostgreSQL store methods of the team server (session origin, tokens) and of closing the loop (enablements).

Same semantics as the matching ``SQLiteStore`` methods (schema versions 3 and 4); mixed into ``PostgresStore``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .._internal.jsonsafe import dumps
from ._pg_pool import PgConnections
from ._rows import ORIGIN_HOST, ORIGIN_SOURCE, origin_ids_query

__all__ = ["PgTeamMethods"]

_SET_ORIGIN = "UPDATE sessions SET host = coalesce(host, %s), source = coalesce(source, %s) WHERE id = %s"
_REPLACE_ORIGIN = "UPDATE sessions SET host = coalesce(%s, host), source = coalesce(%s, source) WHERE id = %s"
_TOKEN_KEYS = ("id", "kind", "agent", "created_at", "revoked_at")


class PgTeamMethods:
    """Origin, token and enablement methods over the store's pooled connections ``_db``."""

    _db: PgConnections

    # --- session origin (schema version 3) ---------------------------------------------------------------
    def set_session_origin(
        self, session_id: str, *, host: str | None, source: str | None, replace: bool = False
    ) -> None:
        """Record where a session came from; the first known host and source are kept unless ``replace``."""
        statement = _REPLACE_ORIGIN if replace else _SET_ORIGIN
        self._db.run(lambda c: c.execute(statement, (host, source, session_id)), write=True)

    def delete_events(self, session_id: str) -> int:
        """Delete a session's events (its totals follow through the delete trigger); return how many."""
        return int(
            self._db.run(
                lambda c: c.execute("DELETE FROM events WHERE session_id = %s", (session_id,)).rowcount,
                write=True,
            )
        )

    def session_origins(self, session_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(host, source) of each given session that exists (owner host / ``sdk`` / ``import`` fallbacks)."""
        ids = list(session_ids)
        if not ids:
            return {}
        statement = f"SELECT id, {ORIGIN_HOST}, {ORIGIN_SOURCE} FROM sessions WHERE id = ANY(%s)"
        return {str(sid): (host, source) for sid, host, source in self._db.fetch(statement, (ids,))}

    def session_ids_by_origin(
        self, *, host: str | None = None, source: str | None = None, limit: int = 1000
    ) -> list[str]:
        """Ids of the newest sessions recorded on ``host`` and/or from ``source``."""
        statement, params = origin_ids_query(host, source, limit, mark="%s")
        return [str(row[0]) for row in self._db.fetch(statement, params)]

    def idle_active_sessions(self, sources: Sequence[str], before: float) -> list[tuple[str, float]]:
        """(id, last event time) of ACTIVE sessions from ``sources`` with no event since ``before``."""
        statement = (
            "SELECT id, coalesce(last_event_at, started_at) FROM sessions WHERE status = 'ACTIVE' "
            "AND source = ANY(%s) AND coalesce(last_event_at, started_at) < %s"
        )
        return [(str(r[0]), float(r[1])) for r in self._db.fetch(statement, (list(sources), before))]

    # --- ingest/read tokens (schema version 3) -----------------------------------------------------------
    def add_token(self, token_id: str, *, kind: str, agent: str | None, secret_sha256: str) -> None:
        """Store a new token by its public id and the SHA-256 of its secret (the secret is never stored)."""
        args = (token_id, kind, agent, secret_sha256, time.time())
        self._db.run(
            lambda c: c.execute(
                "INSERT INTO ingest_tokens (id, kind, agent, secret_sha256, created_at) VALUES (%s,%s,%s,%s,%s)",
                args,
            ),
            write=True,
        )

    def find_token(self, secret_sha256: str) -> dict[str, Any] | None:
        """The unrevoked token whose secret hashes to ``secret_sha256``, or None."""
        rows = self._db.fetch(
            "SELECT id, kind, agent, created_at FROM ingest_tokens WHERE secret_sha256 = %s AND revoked_at IS NULL",
            (secret_sha256,),
        )
        return dict(zip(_TOKEN_KEYS[:4], rows[0], strict=True)) if rows else None

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token (id, kind, agent, created_at, revoked_at), oldest first; never the secret."""
        statement = f"SELECT {', '.join(_TOKEN_KEYS)} FROM ingest_tokens ORDER BY created_at, id"
        return [dict(zip(_TOKEN_KEYS, row, strict=True)) for row in self._db.fetch(statement)]

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token by id; False if no such unrevoked token."""
        args = (time.time(), token_id)
        statement = "UPDATE ingest_tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL"
        return bool(self._db.run(lambda c: c.execute(statement, args).rowcount == 1, write=True))

    def count_tokens(self, kind: str) -> int:
        """How many unrevoked tokens of ``kind`` (``ingest`` or ``read``) exist."""
        statement = "SELECT count(*) FROM ingest_tokens WHERE kind = %s AND revoked_at IS NULL"
        return int(self._db.fetch(statement, (kind,))[0][0])

    # --- enablements (schema version 4) ------------------------------------------------------------------
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
        args = (agent, kind, action, time.time() if at is None else at, dumps(detail or {}))
        statement = "INSERT INTO enablements (agent, kind, action, at, detail) VALUES (%s,%s,%s,%s,%s)"
        self._db.run(lambda c: c.execute(statement, args), write=True)

    def list_enablements(self, agent: str) -> list[dict[str, Any]]:
        """The agent's enablement records, oldest first."""
        rows = self._db.fetch(
            "SELECT kind, action, at, detail FROM enablements WHERE agent = %s ORDER BY at, id", (agent,)
        )
        return [{"kind": k, "action": a, "at": float(t), "detail": json.loads(d)} for k, a, t, d in rows]
