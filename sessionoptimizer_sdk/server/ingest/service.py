"""The ingest pipeline of one request: authorise, decode, map, write (acknowledged after COMMIT), analyse."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from anyio import to_thread

from ..._internal.log import get_logger
from ...errors import StoreError, UnstorableValue
from ...models import Session, SessionStatus
from ...store._remote import SOURCE_IMPORT, TELEMETRY_SOURCES
from ...store.base import RemoteOrigin
from .batch import Batch
from .decode import Limits
from .errors import IngestRefused
from .metrics import MetricsCount, MetricsTally
from .ratelimit import RateLimiter
from .tokens import KIND_INGEST, TokenInfo, TokenStore, TokenVerifier

__all__ = ["IngestConfig", "IngestService", "IngestStore"]

_log = get_logger(__name__)


class IngestStore(TokenStore, Protocol):
    """The store methods the ingest uses (part of ``Store``: SQLite and PostgreSQL both implement them)."""

    def find_session(self, session_id: str) -> Session | None:
        """The session or None."""

    def end_session(self, session_id: str, status: SessionStatus, ended_at: datetime) -> bool:
        """End an ACTIVE session."""

    def commit_remote_batch(
        self, origins: Sequence[RemoteOrigin], rows: Sequence[tuple[Any, ...]], roots: Sequence[Session] = ()
    ) -> None:
        """Record origins, insert event rows idempotently and upsert ended roots, in one transaction."""

    def session_origins(self, session_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """(host, source) of sessions."""

    def idle_active_sessions(self, sources: Sequence[str], before: float) -> list[tuple[str, float]]:
        """ACTIVE sessions of ``sources`` idle since ``before``."""


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """Ingest settings: limits, whether tokens are required, rate limit, write concurrency, idle timeout."""

    limits: Limits = field(default_factory=Limits)
    require_tokens: bool = False
    rate_per_second: float = 200.0
    burst: int = 400
    max_inflight: int = 4
    queue_wait: float = 5.0
    idle_timeout: float = 1800.0
    sweep_interval: float = 30.0


class IngestService:
    """Turns decoded OTLP batches into store writes for one server."""

    def __init__(self, store: IngestStore, config: IngestConfig, runner: Any = None) -> None:
        self.store = store
        self.config = config
        self.runner = runner
        self.verifier = TokenVerifier(store)
        self.limiter = RateLimiter(config.rate_per_second, config.burst)
        self._slots: asyncio.Semaphore | None = None
        self._sweep_lock = threading.Lock()
        self._last_sweep = 0.0
        self._arrivals: dict[str, float] = {}  # telemetry session -> monotonic time of its last request
        self._arrivals_lock = threading.Lock()
        self.metrics = MetricsTally()

    # --- authorisation ------------------------------------------------------------------------
    def authorise(self, authorization: str | None) -> TokenInfo | None:
        """The ingest token presented (None when the server is open); raise 401/403/429 as due."""
        presented = None
        if authorization and authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        required = self.config.require_tokens or self.verifier.any_ingest_tokens()
        if presented is None:
            if required:
                raise IngestRefused(
                    401, "unauthorized", "an ingest token is required (Authorization: Bearer)"
                )
            self._rate("open")
            return None
        info = self.verifier.verify(presented)
        if info is None:
            raise IngestRefused(401, "unauthorized", "the token is unknown or revoked")
        if info.kind != KIND_INGEST:
            raise IngestRefused(403, "wrong_token_kind", "a read token cannot write; use an ingest token")
        self._rate(info.id)
        return info

    def _rate(self, key: str) -> None:
        wait = self.limiter.acquire(key)
        if wait:
            raise IngestRefused(429, "rate_limited", "too many requests for this token", retry_after=wait)

    def acknowledge_metrics(self, count: MetricsCount) -> None:
        """Count an accepted metrics export (logged once per new metric name; nothing is stored)."""
        new = self.metrics.add(count)
        if new:
            _log.info("ingest.metrics_acknowledged", metrics=sorted(new), stored=False)

    # --- writing --------------------------------------------------------------------------------
    async def write(self, batch: Batch, token: TokenInfo | None) -> None:
        """Write a batch off the event loop with bounded concurrency (503 + Retry-After when backed up)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_inflight)
        try:
            await asyncio.wait_for(self._slots.acquire(), self.config.queue_wait)
        except TimeoutError:
            raise IngestRefused(503, "busy", "the store is backed up; retry later", retry_after=1) from None
        try:
            await to_thread.run_sync(self._commit, batch, token.agent if token else None)
        except (
            sqlite3.IntegrityError,
            sqlite3.DataError,
            sqlite3.InterfaceError,
            OverflowError,
            UnstorableValue,
        ) as exc:
            # the data itself cannot be stored: a retry would fail the same way, so no 503
            _log.warning("ingest.unstorable", error=type(exc).__name__)
            raise IngestRefused(
                400, "unstorable", f"a value cannot be stored ({type(exc).__name__})"
            ) from None
        except (sqlite3.Error, StoreError) as exc:
            _log.warning("ingest.store_error", error=type(exc).__name__)
            raise IngestRefused(
                503, "store_unavailable", "the store is unavailable; retry later", retry_after=2
            ) from None
        finally:
            self._slots.release()

    def _commit(self, batch: Batch, token_agent: str | None) -> None:
        store = self.store
        existing: dict[str, Session] = {}
        for sid, seen in list(batch.seen.items()):
            found = store.find_session(sid)
            owner = found.agent if found is not None else None
            if token_agent is not None and (
                (owner is not None and owner != token_agent) or (seen.agent not in (None, token_agent))
            ):
                batch.drop_session(sid, "forbidden_agent")
                continue
            seen.agent = token_agent or seen.agent or owner or "unknown"
            if found is not None:
                existing[sid] = found
        origins = self.store.session_origins(list(existing)) if existing else {}
        records = _records(batch, origins)
        roots = [replace(root, agent=token_agent or root.agent) for root in batch.roots]
        if records or batch.rows or roots:  # one transaction: a failed write changes nothing
            store.commit_remote_batch(records, batch.rows, roots)
        arrived = time.monotonic()
        with self._arrivals_lock:
            for sid, seen in batch.seen.items():
                if seen.source in TELEMETRY_SOURCES:
                    self._arrivals[sid] = arrived
        self._after_commit(batch, existing)
        self._sweep_idle()

    def _after_commit(self, batch: Batch, existing: dict[str, Session]) -> None:
        if self.runner is None:
            return
        ended = {r.id for r in batch.roots} | {s for s, v in existing.items() if not v.is_active}
        for sid in batch.seen:
            self.runner.submit(sid, sid in ended)

    def _sweep_idle(self) -> None:
        """End telemetry sessions (which have no end event) idle for ``idle_timeout``, at their last event.

        Idle by event time *and* by arrival: a session still receiving old events (a Collector reading
        yesterday's file, an exporter catching up) stays ACTIVE until nothing arrived for ``idle_timeout``.
        """
        now = time.time()
        if now - self._last_sweep < self.config.sweep_interval or not self._sweep_lock.acquire(
            blocking=False
        ):
            return
        try:
            self._last_sweep = now
            recent = time.monotonic() - self.config.idle_timeout
            with self._arrivals_lock:
                self._arrivals = {sid: t for sid, t in self._arrivals.items() if t > recent}  # bounded
                receiving = set(self._arrivals)
            for sid, last in self.store.idle_active_sessions(
                TELEMETRY_SOURCES, now - self.config.idle_timeout
            ):
                if sid in receiving:
                    continue
                ended = self.store.end_session(
                    sid, SessionStatus.COMPLETED, datetime.fromtimestamp(last, UTC)
                )
                if ended and self.runner is not None:
                    self.runner.submit(sid, True)
        finally:
            self._sweep_lock.release()


def _records(batch: Batch, origins: dict[str, tuple[str | None, str | None]]) -> list[RemoteOrigin]:
    """What the write records per session: new ones created with their origin, changed origins, replacements.

    Sorted by id, so concurrent writes lock sessions in one order. A transcript import arriving for a session
    holding native telemetry replaces its events (one copy: the transcript wins); the store decides that inside
    the write, from the source it reads there, so imports and telemetry are always checked. An SDK session whose
    origin is already recorded needs nothing (no write for it).
    """
    records = []
    for sid, seen in sorted(batch.seen.items()):
        is_import = seen.source == SOURCE_IMPORT
        if sid not in origins:
            placeholder = Session(
                id=sid,
                agent=seen.agent or "unknown",
                task="",
                model=seen.model or "unknown",
                status=SessionStatus.ACTIVE,
                started_at=datetime.fromtimestamp(seen.first_ts, UTC),
                trace_id=seen.trace_id,
                span_id=seen.span_id,
            )
            records.append(RemoteOrigin(sid, seen.host, seen.source, placeholder, replace=is_import))
            continue
        prior_host, prior_source = origins[sid]
        one_copy_check = is_import or seen.source in TELEMETRY_SOURCES
        if not one_copy_check and (prior_host, prior_source) == (seen.host or prior_host, seen.source):
            continue  # already recorded: no write for this session
        records.append(RemoteOrigin(sid, seen.host, seen.source, replace=is_import))
    return records
