"""Analysis against the store: analyze a stored session, save its report (row + JSON file), raise its alerts."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sessionoptimizer_sdk._internal.ids import validate_session_id
from sessionoptimizer_sdk.analysis._gcpause import gc_paused
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.engine import analyze_events
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.models import Session, SessionEvent
from sessionoptimizer_sdk.store.base import Store

if TYPE_CHECKING:
    from sessionoptimizer_sdk.alerts.engine import AlertEngine

__all__ = ["analyze_stored", "finalize_session", "load_subagents", "report_path", "write_report_file"]


def load_subagents(store: Store, session: Session) -> list[tuple[Session, list[SessionEvent]]]:
    """The stored sessions naming ``session`` as their parent, each with its events."""
    return [
        (s, store.get_events(s.id))
        for s in store.list_sessions(since=session.started_at, limit=None)
        if s.id != session.id and s.metadata.get("parent_session_id") == session.id
    ]


def analyze_stored(
    store: Store, session_id: str, config: AnalysisConfig | None = None, now: datetime | None = None
) -> OptimizationReport:
    """Analyze a stored session (SessionNotFound for an unknown id); provisional while it is ACTIVE."""
    session = store.get_session(session_id)
    with gc_paused(store.count_events(session_id)):  # decoding the rows makes no cycles either
        subs = load_subagents(store, session)
        return analyze_events(session, store.get_events(session_id), config=config, now=now, subagents=subs)


def report_path(reports_dir: Path, session_id: str) -> Path:
    """``<reports_dir>/<session_id>_report.json`` (the id is validated: it becomes a file name)."""
    return reports_dir / f"{validate_session_id(session_id)}_report.json"


def write_report_file(reports_dir: Path, session_id: str, report: Mapping[str, Any]) -> Path:
    """Write the report JSON atomically (temp file + ``os.replace``), file 0600 in a 0700 folder."""
    target = report_path(reports_dir, session_id)
    if not reports_dir.exists():
        reports_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(reports_dir, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=reports_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, ensure_ascii=False, allow_nan=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def finalize_session(
    store: Store,
    reports_dir: Path,
    session_id: str,
    *,
    config: AnalysisConfig | None = None,
    engine: AlertEngine | None = None,
    now: datetime | None = None,
) -> OptimizationReport:
    """Analyze, store the report, write its JSON file (final reports only) and evaluate the alert rules."""
    report = analyze_stored(store, session_id, config, now)
    data = report.to_dict()
    store.save_report(session_id, report.agent, data)
    if not report.provisional:
        write_report_file(reports_dir, session_id, data)
    if engine is not None:
        engine.evaluate(report)
    return report
