"""The end of an import: a report (and the alerts it raises) for each ended session the import touched.

:func:`finalize_imported` is what ``SessionOptimizer.import_sessions`` runs after storing; :func:`import_and_report`
is the same import without a recorder, for the ``sessionoptimizer import`` command: a one-shot import records
nothing, so it need not load the OpenTelemetry SDK and start the writer (docs/decisions/import-speed.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sessionoptimizer_sdk._internal.safety import Guard
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import Session
from sessionoptimizer_sdk.store.base import Store

from .kept import KeptEvents
from .runner import ImportSummary, import_paths

if TYPE_CHECKING:
    from sessionoptimizer_sdk.alerts.engine import AlertEngine
    from sessionoptimizer_sdk.analysis.config import AnalysisConfig

__all__ = ["finalize_imported", "import_and_report"]

_FINALIZE = Guard("import.finalize")
#: A fault in the report from the kept events costs the shortcut, never the report (the stored events are read).
_FROM_KEPT = Guard("import.final_from_kept")
#: Seconds the command waits for queued alert deliveries (webhooks) before it exits.
_DELIVERY_TIMEOUT = 10.0


def finalize_imported(
    store: Store,
    reports_dir: Path,
    session_ids: Iterable[str],
    *,
    config: AnalysisConfig,
    engine: AlertEngine,
    guard: Guard = _FINALIZE,
    kept: KeptEvents | None = None,
) -> None:
    """Write the report (and evaluate the alert rules) of each ended session among ``session_ids``.

    Faults are logged by ``guard`` per session (one bad session never stops the others' reports). A session
    ``kept`` holds complete (the events this import stored) is analyzed from them, without a reload;
    the others are analyzed from their stored events (the report is the same: docs/decisions/import-speed.md).
    """
    from sessionoptimizer_sdk.analysis.stored import children_by_parent, finalize_session, publish_report

    ended = [s for sid in session_ids if (s := store.find_session(sid)) is not None and not s.is_active]
    if not ended:
        return
    children: dict[str, list[Session]] | None = None
    with guard:  # one listing for all: a subagent lookup per session would be quadratic
        since = min(s.started_at for s in ended)
        children = children_by_parent(store.list_sessions(since=since, limit=None))
    if children is None:
        return
    for session in ended:
        with guard:
            report = None
            if kept is not None:
                with _FROM_KEPT:
                    report = kept.final_report(store, session, children.get(session.id, ()))
            if report is not None:
                publish_report(store, reports_dir, report, engine)
                continue
            finalize_session(
                store,
                reports_dir,
                session.id,
                config=config,
                engine=engine,
                candidates=children.get(session.id, ()),
            )


def import_and_report(
    store: Store, settings: Settings, source: str, paths: Sequence[Path] | None, **options: Any
) -> ImportSummary:
    """Import ``source`` transcripts into ``store``, then report on the ended sessions (``auto_analyze``).

    The same reports, report files and alerts as ``SessionOptimizer(...).import_sessions(...)`` with no
    notifiers; abandoned-session recovery is left to the next ``SessionOptimizer`` opened on the store.
    """
    from sessionoptimizer_sdk.analysis.config import AnalysisConfig

    config = AnalysisConfig(monthly_budget_usd=settings.monthly_budget_usd)
    kept = KeptEvents(config) if settings.auto_analyze else None
    summary = import_paths(store, source, paths, kept=kept, **options)
    if not settings.auto_analyze or not summary.session_ids:
        return summary
    from sessionoptimizer_sdk.alerts.engine import AlertEngine
    from sessionoptimizer_sdk.analysis.runner import rules_for

    engine = AlertEngine(store, rules_for(config))
    try:
        finalize_imported(
            store, settings.reports_dir, summary.session_ids, config=config, engine=engine, kept=kept
        )
    finally:
        engine.close(_DELIVERY_TIMEOUT)
    return summary
