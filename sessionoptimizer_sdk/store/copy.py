"""Copy one store into another (``sessionoptimizer migrate``): idempotent, resumable, verified by counts.

Every write is idempotent on the target (sessions upserted, events inserted by their per-session id, reports
replaced, alerts stored once per session and rule, origins replaced, tokens and enablements added when absent),
so an interrupted copy is resumed by running it again; a session whose events are already all on the target is
skipped after one count. Tokens keep their id, hash and revocation (their creation time becomes the copy's).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .base import Store

__all__ = ["CopySummary", "copy_store"]

EVENT_CHUNK = 5_000
ProgressFn = Callable[[str, int], None]  # (what advanced: "sessions" | "events", by how much)


@dataclass(frozen=True, slots=True)
class CopySummary:
    """What a copy moved and whether the target now holds everything the source has."""

    sessions: int
    events_copied: int
    sessions_skipped: int
    reports: int
    alerts: int
    mismatches: tuple[str, ...]
    tokens: int = 0
    enablements: int = 0

    @property
    def verified(self) -> bool:
        """True when every source session has the same event count and totals on the target."""
        return not self.mismatches


def copy_store(source: Store, target: Store, progress: ProgressFn | None = None) -> CopySummary:
    """Copy sessions (with host/source), events, reports, alerts, tokens and enablements; verify at the end."""
    advance = progress or (lambda _what, _n: None)
    sessions = source.list_sessions(limit=None)
    copied = skipped = 0
    for session in reversed(sessions):  # oldest first
        target.upsert_session(session)
        already = target.find_session(session.id)
        if already is not None and already.event_count == session.event_count:
            skipped += 1
            advance("events", session.event_count)
        else:
            offset = 0
            while True:
                chunk = source.get_events(session.id, limit=EVENT_CHUNK, offset=offset)
                if not chunk:
                    break
                copied += target.insert_events(chunk)
                offset += len(chunk)
                advance("events", len(chunk))
        advance("sessions", 1)
    reports = 0
    for sid, agent, generated_at, raw in source.query(
        "SELECT session_id, agent, generated_at, report FROM reports ORDER BY session_id"
    ):
        target.save_report(str(sid), str(agent), json.loads(raw), at=float(generated_at))
        reports += 1
    alerts = 0
    for alert in source.list_alerts(limit=2**62):
        target.insert_alert(
            alert["session_id"], alert["agent"], alert["rule"], alert["priority"], alert["message"],
            alert["payload"], at=float(alert["created_at"]),
        )  # fmt: skip
        alerts += 1
    _copy_origins(source, target, [s.id for s in sessions])
    tokens, enablements = _copy_tokens(source, target), _copy_enablements(source, target)
    mismatches = tuple(_verify(source, target))
    return CopySummary(len(sessions), copied, skipped, reports, alerts, mismatches, tokens, enablements)


def _copy_origins(source: Store, target: Store, session_ids: list[str]) -> None:
    """Each session's (host, source) as the source resolves it (owner host and sdk/import fallbacks included)."""
    for start in range(0, len(session_ids), 500):
        for sid, (host, origin) in source.session_origins(session_ids[start : start + 500]).items():
            target.set_session_origin(sid, host=host, source=origin, replace=True)


def _copy_tokens(source: Store, target: Store) -> int:
    """Tokens missing on the target (same id and secret hash, revoked ones revoked); return how many."""
    known = {t["id"] for t in target.list_tokens()}
    added = 0
    rows = source.query(
        "SELECT id, kind, agent, secret_sha256, revoked_at FROM ingest_tokens ORDER BY created_at"
    )
    for token_id, kind, agent, digest, revoked_at in rows:
        if token_id in known:
            continue
        target.add_token(str(token_id), kind=str(kind), agent=agent, secret_sha256=str(digest))
        if revoked_at is not None:
            target.revoke_token(str(token_id))
        added += 1
    return added


def _copy_enablements(source: Store, target: Store) -> int:
    """Enablement records missing on the target (same agent, kind, action and time); return how many."""
    added = 0
    for (agent,) in source.query("SELECT DISTINCT agent FROM enablements ORDER BY agent"):
        there = {(e["kind"], e["action"], e["at"]) for e in target.list_enablements(str(agent))}
        for e in source.list_enablements(str(agent)):
            if (e["kind"], e["action"], e["at"]) not in there:
                target.record_enablement(
                    str(agent), e["kind"], action=e["action"], at=e["at"], detail=e["detail"]
                )
                added += 1
    return added


def _verify(source: Store, target: Store) -> list[str]:
    """Source sessions whose copy differs in event count or token totals."""
    problems = []
    for session in source.list_sessions(limit=None):
        other = target.find_session(session.id)
        if other is None:
            problems.append(f"{session.id}: missing on the target")
        elif (other.event_count, other.tokens) != (session.event_count, session.tokens):
            problems.append(
                f"{session.id}: {other.event_count} events on the target, {session.event_count} in the source"
            )
    return problems
