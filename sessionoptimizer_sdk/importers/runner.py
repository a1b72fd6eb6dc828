"""Import transcripts into the store: streamed, incremental (a cursor per file) and idempotent.

Event ids are deterministic (session id + the transcript's own ids) and events are upserted, so importing the
same file again changes nothing; a grown file is read from its saved byte offset with the parser state saved
beside it (pending tool calls, per-response usage already counted).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sessionoptimizer_sdk.errors import ImportSourceError
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.base import Store

from ._reader import READ_BUFFER, iter_lines, read_document
from .base import Importer, SkippedLine
from .registry import get_importer

if TYPE_CHECKING:
    from .kept import KeptEvents

__all__ = ["FileResult", "ImportSummary", "import_file", "import_paths", "resolve_files"]

#: Lines per stored batch (one transaction, one fsync): 10,000 measured 7 ms less CPU than 2,000 on 53 MB,
#: for 7 MB more peak memory (docs/decisions/import-speed.md).
_FLUSH_LINES = 10_000
_CURSOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class FileResult:
    """What importing one file did: its session, new events, lines read, skipped lines."""

    path: str
    session_id: str | None = None
    events: int = 0
    lines: int = 0
    records: int = 0
    bytes_read: int = 0
    skipped: tuple[SkippedLine, ...] = ()
    unchanged: bool = False
    readable: bool = True


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """The outcome of one import: files seen, sessions created or updated, events written, lines skipped."""

    source: str
    files: int = 0
    sessions: int = 0
    events: int = 0
    lines: int = 0
    records: int = 0
    bytes_read: int = 0
    unchanged_files: int = 0
    unreadable_files: int = 0
    session_ids: tuple[str, ...] = ()
    skipped: tuple[SkippedLine, ...] = field(default_factory=tuple)

    @property
    def nothing_read(self) -> bool:
        """True when no file could be read at all (the CLI then exits non-zero)."""
        return self.files == self.unreadable_files or (self.records == 0 and self.unchanged_files == 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``--format json``)."""
        out = asdict(self)
        out["session_ids"] = list(self.session_ids)
        out["skipped"] = [asdict(s) for s in self.skipped]
        return out


def _cursor_key(source: str, path: Path) -> str:
    return f"import:{source}:{path}"


def _stat_marks(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def import_file(
    store: Store,
    importer: Importer,
    path: Path,
    *,
    agent: str | None = None,
    capture_content: bool = False,
    status: SessionStatus = SessionStatus.COMPLETED,
    kept: KeptEvents | None = None,
) -> FileResult:
    """Import what is new in one transcript since its saved cursor (everything on first sight).

    ``kept``, when given, keeps every batch once it is stored (the final report then needs no reload).
    """
    path = path.resolve()
    key = _cursor_key(importer.name, path)
    try:
        inode, size, mtime = _stat_marks(path)
    except OSError as exc:
        return FileResult(
            str(path), readable=False, skipped=(SkippedLine(str(path), 0, f"cannot read: {exc}"),)
        )
    cursor = store.get_cursor(key) or {}
    same_file = cursor.get("v") == _CURSOR_VERSION and cursor.get("inode") == inode
    if same_file and importer.whole_file and (cursor.get("size"), cursor.get("mtime")) == (size, mtime):
        return FileResult(str(path), cursor.get("sid"), unchanged=True)
    resumable = same_file and not importer.whole_file and int(cursor.get("offset", 0)) <= size
    if resumable and int(cursor.get("offset", 0)) == size:
        return FileResult(str(path), cursor.get("sid"), unchanged=True)
    state = cursor.get("state") if resumable else None
    offset = int(cursor.get("offset", 0)) if resumable else 0
    line = int(cursor.get("line", 0)) if resumable else 0
    parser = importer.parser(path, agent=agent, capture_content=capture_content, state=state)
    skipped: list[SkippedLine] = []
    written = parsed = 0
    start_offset, start_line = offset, line
    if importer.whole_file:
        try:
            parser.feed(read_document(path), 1)
        except ImportSourceError as exc:
            return FileResult(str(path), skipped=(SkippedLine(str(path), 0, str(exc)),), readable=False)
        except (ValueError, TypeError, KeyError) as exc:
            return FileResult(str(path), skipped=(SkippedLine(str(path), 1, f"unexpected record: {exc}"),))
        line, offset, parsed = 1, size, 1
    else:
        try:
            fh = path.open("rb", buffering=READ_BUFFER)
        except OSError as exc:
            why = f"cannot read: {exc.strerror or exc}"
            return FileResult(str(path), readable=False, skipped=(SkippedLine(str(path), 0, why),))
        with fh:
            pending = 0
            for line_no, end, record, reason in iter_lines(fh, offset, line):
                if reason:
                    skipped.append(SkippedLine(str(path), line_no, reason))
                if end > offset:
                    offset, line = end, line_no
                if record is not None:
                    try:
                        parser.feed(record, line_no)
                        parsed += 1
                    except (ValueError, TypeError, KeyError) as exc:
                        skipped.append(SkippedLine(str(path), line_no, f"unexpected record: {exc}"))
                pending += 1
                if pending >= _FLUSH_LINES:
                    written += _flush(store, parser, status, key, (inode, size, mtime), offset, line, kept)
                    pending = 0
    written += _flush(store, parser, status, key, (inode, size, mtime), offset, line, kept)
    session = parser.session(status)
    if session is None and not skipped and line > start_line:
        skipped.append(SkippedLine(str(path), 0, "no session records in this file"))
    return FileResult(
        str(path),
        session.id if session else None,
        events=written,
        lines=line - start_line,
        records=parsed,
        bytes_read=offset - start_offset,
        skipped=tuple(skipped),
    )


def _flush(
    store: Store,
    parser: Any,
    status: SessionStatus,
    key: str,
    marks: tuple[int, int, int],
    offset: int,
    line: int,
    kept: KeptEvents | None = None,
) -> int:
    """Write the session, the parser's new events and the cursor after them in one transaction (all or none)."""
    session = parser.session(status)
    events = parser.take_events()  # keyed by id: each event once, its latest version
    inode, size, mtime = marks
    cursor = {
        "v": _CURSOR_VERSION,
        "inode": inode,
        "size": size,
        "mtime": mtime,
        "offset": offset,
        "line": line,
        "sid": session.id if session else None,
        "state": parser.state(),
    }
    if session is None:  # no session record yet: nothing to store its events under
        store.set_cursor(key, cursor)
        return 0
    if kept is not None:
        kept.before_store(store, key, session)
    written = store.import_batch(session, events, key, cursor)
    if kept is not None:
        kept.stored(key, session, events)
    return written


def resolve_files(importer: Importer, paths: Sequence[str | os.PathLike[str]] | None) -> list[Path]:
    """The transcript files under ``paths`` (default: the importer's folders), or ImportSourceError."""
    roots = [Path(p).expanduser() for p in paths] if paths else importer.default_paths()
    files: list[Path] = []
    for root in roots:
        if not root.exists():
            hint = "" if paths else " (pass a PATH to import from elsewhere)"
            raise ImportSourceError(f"cannot read {root}: no such file or directory{hint}")
        if not os.access(root, os.R_OK):
            raise ImportSourceError(f"cannot read {root}: permission denied")
        try:
            files.extend(importer.discover(root))
        except OSError as exc:
            raise ImportSourceError(f"cannot list {root}: {exc.strerror or exc}") from None
    return list(dict.fromkeys(f.resolve() for f in files))


def import_paths(
    store: Store,
    source: str,
    paths: Sequence[Path] | None = None,
    *,
    agent: str | None = None,
    capture_content: bool = False,
    progress: Callable[[int, int], None] | None = None,
    kept: KeptEvents | None = None,
) -> ImportSummary:
    """Import every ``source`` transcript under ``paths`` (files or folders; default: where the tool writes).

    ``progress(done_bytes, total_bytes)`` is called after each file. Unknown ``source`` raises
    InvalidInputError naming the valid ones; a missing or unreadable path raises ImportSourceError. ``kept``
    keeps each stored batch (:class:`~sessionoptimizer_sdk.importers.kept.KeptEvents`).
    """
    importer = get_importer(source)
    files = resolve_files(importer, paths)
    total = sum(_size(f) for f in files)
    results: list[FileResult] = []
    done = 0
    for path in files:
        results.append(
            import_file(store, importer, path, agent=agent, capture_content=capture_content, kept=kept)
        )
        done += _size(path)
        if progress is not None:
            progress(done, total)
    return summarize(importer.name, results)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def summarize(source: str, results: Sequence[FileResult]) -> ImportSummary:
    """Fold per-file results into one summary."""
    touched = [r.session_id for r in results if r.session_id and not r.unchanged and (r.events or r.lines)]
    return ImportSummary(
        source=source,
        files=len(results),
        sessions=len(set(touched)),
        events=sum(r.events for r in results),
        lines=sum(r.lines for r in results),
        records=sum(r.records for r in results),
        bytes_read=sum(r.bytes_read for r in results),
        unchanged_files=sum(1 for r in results if r.unchanged),
        unreadable_files=sum(1 for r in results if not r.readable),
        session_ids=tuple(dict.fromkeys(touched)),
        skipped=tuple(s for r in results for s in r.skipped),
    )
