"""The spec's "Automated Monitoring" loop, one pass: analyze ended sessions that have no final report yet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.analysis.stored import finalize_session
from sessionoptimizer_sdk.errors import StoreError
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.base import Store

__all__ = ["monitor_once"]

_log = get_logger(__name__)


def _is_store_fault(exc: BaseException) -> bool:
    """True for a database driver's error (SQLite or psycopg): the store, not the session, failed."""
    return type(exc).__module__.split(".", 1)[0] in ("sqlite3", "psycopg", "psycopg_pool")


def monitor_once(
    store: Store,
    reports_dir: Path,
    *,
    engine: AlertEngine | None = None,
    config: AnalysisConfig | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[OptimizationReport]:
    """Finalize every ended session (started since ``since``) without a final report; return the new reports.

    Alerts are raised through ``engine`` (once per session and rule, so running this repeatedly is safe). A
    session that fails to analyze is logged and skipped; the others still run. A store that cannot be read or
    written (locked, read-only, full) ends the pass with ``StoreError``: every other session would wait and fail
    the same way, and the caller must learn that nothing was analyzed.
    """
    now = now or datetime.now(UTC)
    done: list[OptimizationReport] = []
    for session in store.list_sessions(since=since, limit=limit):
        if session.status is SessionStatus.ACTIVE:
            continue
        stored = store.get_report(session.id)
        if stored is not None and not stored.get("provisional"):
            continue
        try:
            done.append(
                finalize_session(store, reports_dir, session.id, config=config, engine=engine, now=now)
            )
        except StoreError:
            raise
        except Exception as exc:  # one bad session must not stop the monitoring pass; a failing store does
            if _is_store_fault(exc):
                raise StoreError(f"the store cannot be used: {exc}") from exc
            _log.warning("monitoring: session not analyzed", session_id=session.id, error=repr(exc))
    return done
