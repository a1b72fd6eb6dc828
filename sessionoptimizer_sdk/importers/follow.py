"""Follow transcripts live: import appended lines as they land; a session is ACTIVE while its file grows.

Polling (not inotify) keeps this portable and cheap: each poll stats the files and reads only the bytes past
each file's cursor. A session whose file has not grown for ``idle_timeout`` seconds is ended as COMPLETED.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk.errors import ImportSourceError
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.base import Store

from .registry import get_importer
from .runner import FileResult, ImportSummary, import_file, resolve_files, summarize

__all__ = ["DEFAULT_IDLE_TIMEOUT", "follow"]

#: Seconds without growth before a followed session is COMPLETED (Claude Code's prompt cache TTL is 5 min).
DEFAULT_IDLE_TIMEOUT = 300.0
_log = get_logger(__name__)


def _mtime_age(path: Path) -> float:
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except OSError:
        return float("inf")


def follow(
    store: Store,
    source: str,
    paths: Sequence[Path] | None = None,
    *,
    agent: str | None = None,
    capture_content: bool = False,
    poll_interval: float = 1.0,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    stop: threading.Event | None = None,
    on_update: Callable[[ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import ``paths`` now, then import appended lines every ``poll_interval`` seconds until ``stop`` is set.

    Files modified within ``idle_timeout`` are imported ACTIVE; new files appearing under a followed folder
    are picked up. ``on_update`` receives the summary of each poll that imported something. Returns the
    summary of everything imported; sessions still ACTIVE when stopped are ended as COMPLETED at their last
    event.
    """
    importer = get_importer(source)
    stop = stop or threading.Event()
    active: dict[Path, tuple[str, float]] = {}  # file -> (session id, monotonic time of last growth)
    results: list[FileResult] = []

    def poll(first: bool) -> list[FileResult]:
        try:
            files = resolve_files(importer, paths)
        except ImportSourceError:
            if first:
                raise
            return []  # a followed folder vanished for a moment: try again next poll
        changed = []
        for path in files:
            age = _mtime_age(path)
            status = SessionStatus.ACTIVE if age < idle_timeout else SessionStatus.COMPLETED
            result = import_file(
                store, importer, path, agent=agent, capture_content=capture_content, status=status
            )
            if result.unchanged:
                continue
            changed.append(result)
            if status is SessionStatus.ACTIVE and result.session_id and result.lines:
                active[path] = (result.session_id, time.monotonic() - age)
        return changed

    def end_idle(force: bool) -> None:
        now = time.monotonic()
        for path, (session_id, grew_at) in list(active.items()):
            if force or now - grew_at >= idle_timeout:
                session = store.find_session(session_id)
                ended = (session.last_event_at if session else None) or datetime.now(UTC)
                store.end_session(session_id, SessionStatus.COMPLETED, ended)
                del active[path]
                _log.info("followed session completed", session_id=session_id, idle=not force)

    results.extend(poll(first=True))
    try:
        while not stop.wait(poll_interval):
            changed = poll(first=False)
            results.extend(changed)
            end_idle(force=False)
            if changed and on_update is not None:
                on_update(summarize(importer.name, changed))
    finally:
        end_idle(force=True)
    return summarize(importer.name, results)
