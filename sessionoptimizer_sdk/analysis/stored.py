"""Analysis against the store: analyze a stored session, save its report (row + JSON file), raise its alerts."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orjson import OPT_INDENT_2
from orjson import dumps as _orjson_dumps

from sessionoptimizer_sdk._internal.ids import validate_session_id
from sessionoptimizer_sdk._internal.jsontext import same_as_stdlib
from sessionoptimizer_sdk._internal.privatedir import make_private_dirs
from sessionoptimizer_sdk.analysis._gcpause import gc_paused
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.engine import analyze_events
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.models import Session, SessionEvent
from sessionoptimizer_sdk.store._rows import names_parent
from sessionoptimizer_sdk.store.base import Store

if TYPE_CHECKING:
    from sessionoptimizer_sdk.alerts.engine import AlertEngine

__all__ = [
    "analyze_stored",
    "children_by_parent",
    "finalize_session",
    "load_subagents",
    "report_json",
    "report_path",
    "write_report_file",
]


def load_subagents(
    store: Store, session: Session, candidates: Iterable[Session] | None = None
) -> list[tuple[Session, list[SessionEvent]]]:
    """The stored sessions naming ``session`` as their parent (started since it), each with its events.

    ``candidates`` are the sessions to look among (default: ``Store.list_subagents``, which decodes only sessions
    naming a parent: a live report's lookup does not grow with the store); a caller finalizing many sessions lists
    the store once and passes each its share (:func:`children_by_parent`).
    """
    pool = store.list_subagents(session.id, since=session.started_at) if candidates is None else candidates
    return [
        (s, store.get_events(s.id))
        for s in pool
        if names_parent(s, session.id) and s.started_at >= session.started_at
    ]


def children_by_parent(sessions: Iterable[Session]) -> dict[str, list[Session]]:
    """Sessions grouped by the ``parent_session_id`` of their metadata, in the given order."""
    children: dict[str, list[Session]] = {}
    for s in sessions:
        parent = s.metadata.get("parent_session_id")
        if isinstance(parent, str):
            children.setdefault(parent, []).append(s)
    return children


def analyze_stored(
    store: Store,
    session_id: str,
    config: AnalysisConfig | None = None,
    now: datetime | None = None,
    *,
    candidates: Iterable[Session] | None = None,
) -> OptimizationReport:
    """Analyze a stored session (SessionNotFound for an unknown id); provisional while it is ACTIVE."""
    session = store.get_session(session_id)
    with gc_paused(session.event_count):  # decoding the rows makes no cycles either (the count: no query)
        subs = load_subagents(store, session, candidates)
        return analyze_events(session, store.get_events(session_id), config=config, now=now, subagents=subs)


def report_path(reports_dir: Path, session_id: str) -> Path:
    """``<reports_dir>/<session_id>_report.json`` (the id is validated: it becomes a file name)."""
    return reports_dir / f"{validate_session_id(session_id)}_report.json"


def write_report_file(reports_dir: Path, session_id: str, report: Mapping[str, Any]) -> Path:
    """Write the report JSON atomically (temp file + ``os.replace``), file 0600 in a 0700 folder."""
    target = report_path(reports_dir, session_id)
    if not reports_dir.exists():
        make_private_dirs(reports_dir)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=reports_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(report_json(report))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def report_json(report: Mapping[str, Any]) -> bytes:
    """The report as indented UTF-8 JSON, the bytes ``json.dumps(indent=2, ensure_ascii=False)`` writes.

    orjson writes them ~10x faster (a 100,000-event session's report is ~1 MB) where its text is the stdlib's
    (:func:`same_as_stdlib`); otherwise the stdlib's rules apply (NaN raises ValueError).
    """
    if same_as_stdlib(report):
        try:
            return _orjson_dumps(report, option=OPT_INDENT_2)
        except TypeError:  # lone surrogates, > 64-bit ints, nesting depth: the stdlib's rules
            pass
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


def finalize_session(
    store: Store,
    reports_dir: Path,
    session_id: str,
    *,
    config: AnalysisConfig | None = None,
    engine: AlertEngine | None = None,
    now: datetime | None = None,
    candidates: Iterable[Session] | None = None,
) -> OptimizationReport:
    """Analyze, store the report, write its JSON file (final reports only) and evaluate the alert rules."""
    report = analyze_stored(store, session_id, config, now, candidates=candidates)
    publish_report(store, reports_dir, report, engine)
    return report


def publish_report(
    store: Store, reports_dir: Path, report: OptimizationReport, engine: AlertEngine | None = None
) -> None:
    """Store the report, write its JSON file (final reports only) and evaluate the alert rules."""
    data = report.to_dict()
    store.save_report(report.session_id, report.agent, data)
    if not report.provisional:
        write_report_file(reports_dir, report.session_id, data)
    if engine is not None:
        engine.evaluate(report)
