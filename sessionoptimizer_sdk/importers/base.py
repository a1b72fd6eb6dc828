"""The importer extension point: value types and the ``Importer`` Protocol (the registry is in ``registry``).

An importer turns one source format (Claude Code JSONL, Codex rollouts, SWE-agent trajectories, ...) into
sessions and events. Third-party importers register under the ``sessionoptimizer.importers`` entry-point
group; a plugin that fails to load or lacks the Protocol's members is skipped with a logged reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sessionoptimizer_sdk.models import Session, SessionEvent, SessionStatus

__all__ = [
    "ENTRY_POINT_GROUP",
    "ImportedSession",
    "Importer",
    "SkippedLine",
    "TranscriptParser",
]

ENTRY_POINT_GROUP = "sessionoptimizer.importers"


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A transcript line that could not be imported: its file, 1-based line number (0: whole file) and why."""

    path: str
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportedSession:
    """One transcript loaded in memory: its session (with totals), its events in file order, skipped lines."""

    session: Session
    events: tuple[SessionEvent, ...]
    skipped: tuple[SkippedLine, ...] = ()


class TranscriptParser(Protocol):
    """Stateful parser of one transcript file, fed record by record and resumable from :meth:`state`."""

    def feed(self, record: Mapping[str, Any], line: int) -> None:
        """Consume one parsed record (a JSONL line, or the whole document); raise ValueError to skip it."""

    def take_events(self) -> list[SessionEvent]:
        """Events created or changed since the last call (same id = newer version of the same event)."""

    def session(self, status: SessionStatus) -> Session | None:
        """The session as known so far (totals are computed by the store), or None if nothing was seen."""

    def state(self) -> dict[str, Any]:
        """JSON-able state from which ``parser(..., state=...)`` resumes after the last record."""


@runtime_checkable
class Importer(Protocol):
    """A source format: where its files live, how to find them and how to parse one."""

    name: str
    #: True when a file is one JSON document (re-read whole when it changes) rather than JSONL.
    whole_file: bool

    def default_paths(self) -> list[Path]:
        """Where the tool writes its transcripts by default (e.g. ``~/.claude/projects``)."""

    def discover(self, path: Path) -> Iterator[Path]:
        """The transcript files at ``path``: the file itself, or those found under a folder (sorted)."""

    def parser(
        self, path: Path, *, agent: str | None, capture_content: bool, state: Mapping[str, Any] | None
    ) -> TranscriptParser:
        """A parser for the transcript at ``path``, resumed from ``state`` when given."""
