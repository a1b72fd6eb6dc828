"""Import transcripts into the store: streamed, incremental (a cursor per file) and idempotent.

Event ids are deterministic (session id + the transcript's own ids) and events are upserted, so importing the
same file again changes nothing; a grown file is read from its saved byte offset with the parser state saved
beside it (pending tool calls, per-response usage already counted).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sessionoptimizer_sdk.errors import ImportSourceError
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.base import Store

from ._reader import READ_BUFFER, iter_lines, read_document, unexpected_record
from .base import Importer, SkippedLine
from .registry import get_importer

if TYPE_CHECKING:
    from .kept import KeptEvents

__all__ = ["FileResult", "ImportSummary", "import_file", "import_paths", "resolve_files"]

#: Lines per stored batch (one transaction, one fsync): 10,000 measured 7 ms less CPU than 2,000 on 53 MB,
#: for 7 MB more peak memory (docs/decisions/import-speed.md).
_FLUSH_LINES = 10_000
_CURSOR_VERSION = 1
#: Bytes hashed at each end of the part of a file already read (:func:`_fingerprint`).
_PRINT_BYTES = 8192


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
    #: Events of the file's earlier content deleted because the file was rewritten (same session id).
    replaced_events: int = 0


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
    #: Events deleted because their file was rewritten and its new content re-imported under the same session.
    replaced_events: int = 0
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


def _fingerprint(path: Path, offset: int) -> str | None:
    """Hash of the first and last :data:`_PRINT_BYTES` before ``offset`` (None if unreadable).

    Saved in the cursor: a file rewritten in place (same inode, not shorter) no longer matches it, while appending
    never changes it. Two small reads, whatever the file size.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(min(offset, _PRINT_BYTES))
            fh.seek(max(0, offset - _PRINT_BYTES))
            tail = fh.read(min(offset, _PRINT_BYTES))
    except OSError:
        return None
    return hashlib.blake2b(head + b"\0" + tail, digest_size=16).hexdigest()


def _rewritten(path: Path, offset: int, saved: object) -> bool:
    """True when the bytes before ``offset`` are not those the cursor saw (no fingerprint saved: trusted)."""
    if not isinstance(saved, str):
        return False
    now = _fingerprint(path, offset)
    return now is not None and now != saved


def _untimed(events: int, lines: int) -> str:
    """The report of a file whose events cannot be placed in time: none of its lines has a valid timestamp."""
    return (
        f"no line has a valid timestamp: {events:,} event(s) from {lines:,} line(s) not imported yet "
        "(the file is read again from the start when it grows)"
    )


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

    A file whose content was replaced (new inode, shorter, or other bytes before the saved offset) is read from
    the start, and its session's earlier events are replaced when the new content has the same session id.
    ``kept``, when given, keeps every batch once it is stored (the final report then needs no reload).
    """
    path = path.resolve()
    key = _cursor_key(importer.name, path)
    try:
        marks = _stat_marks(path)
    except OSError as exc:
        return FileResult(
            str(path), readable=False, skipped=(SkippedLine(str(path), 0, f"cannot read: {exc}"),)
        )
    inode, size, mtime = marks
    cursor = store.get_cursor(key) or {}
    same_file = cursor.get("v") == _CURSOR_VERSION and cursor.get("inode") == inode
    saved = int(cursor.get("offset", 0))
    # as last time: a whole document, everything read, or (offset 0, no session) nothing placeable in time
    done = saved == (size if cursor.get("sid") is not None else 0)
    if (
        same_file
        and (cursor.get("size"), cursor.get("mtime")) == (size, mtime)
        and (importer.whole_file or done)
    ):
        return FileResult(str(path), cursor.get("sid"), unchanged=True)
    previous = cursor.get("sid") if cursor.get("v") == _CURSOR_VERSION else None
    resumable = (
        same_file
        and previous is not None  # no session yet: its lines were not stored, read them again
        and not importer.whole_file
        and saved <= size
        and not _rewritten(path, saved, cursor.get("print"))
    )
    if resumable and saved == size:  # touched, not changed
        return FileResult(str(path), previous, unchanged=True)
    state = cursor.get("state") if resumable else None
    offset = saved if resumable else 0
    line = int(cursor.get("line", 0)) if resumable else 0
    parser = importer.parser(path, agent=agent, capture_content=capture_content, state=state)
    batch = _Batch(store, parser, status, key, path, marks, kept, None if resumable else previous)
    skipped: list[SkippedLine] = []
    written = parsed = 0
    start_offset, start_line = offset, line
    if importer.whole_file:
        try:
            parser.feed(read_document(path), 1)
        except ImportSourceError as exc:
            return FileResult(str(path), skipped=(SkippedLine(str(path), 0, str(exc)),), readable=False)
        except Exception as exc:  # one malformed document never aborts the import of the others
            return FileResult(str(path), skipped=(SkippedLine(str(path), 1, unexpected_record(exc)),))
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
                    except Exception as exc:  # one malformed line never aborts the file
                        skipped.append(SkippedLine(str(path), line_no, unexpected_record(exc)))
                pending += 1
                if pending >= _FLUSH_LINES:
                    written += batch.flush(offset, line)
                    pending = 0
    written += batch.flush(offset, line, last=True)
    session = parser.session(status)
    held = len(parser.take_events()) if session is None else 0  # read again next time: dropped here
    if held:
        skipped.append(SkippedLine(str(path), 0, _untimed(held, line)))
    elif session is None and not skipped and line > start_line:
        skipped.append(SkippedLine(str(path), 0, "no session records in this file"))
    return FileResult(
        str(path),
        session.id if session else None,
        events=written,
        lines=line - start_line,
        records=parsed,
        bytes_read=offset - start_offset,
        skipped=tuple(skipped),
        replaced_events=batch.replaced,
    )


@dataclass(slots=True)
class _Batch:
    """Writes one file's parsed events in batches: session, events and cursor per transaction.

    ``replace`` names the session whose stored events the file's new content replaces (deleted before the
    first batch stored under that id; :attr:`replaced` counts them).
    """

    store: Store
    parser: Any
    status: SessionStatus
    key: str
    path: Path
    marks: tuple[int, int, int]
    kept: KeptEvents | None
    replace: str | None
    replaced: int = 0

    def flush(self, offset: int, line: int, *, last: bool = False) -> int:
        """Store what the parser made since the last flush with the cursor after ``line``; return events written.

        Before the session is known (no timestamp yet) events stay in the parser and no cursor moves, so the
        lines are read again; after the ``last`` flush a cursor at offset 0 marks the file as seen.
        """
        session = self.parser.session(self.status)
        inode, size, mtime = self.marks
        cursor: dict[str, Any] = {"v": _CURSOR_VERSION, "inode": inode, "size": size, "mtime": mtime}
        if session is None:
            if last:
                self.store.set_cursor(
                    self.key, {**cursor, "offset": 0, "line": 0, "sid": None, "state": None}
                )
            return 0
        events = self.parser.take_events()  # keyed by id: each event once, its latest version
        cursor.update(offset=offset, line=line, sid=session.id, state=self.parser.state())
        cursor["print"] = _fingerprint(self.path, offset)
        if self.replace is not None:
            if self.replace == session.id:  # the file's old content: its events give way to the new ones
                self.replaced = self.store.delete_events(session.id)
            self.replace = None
        if self.kept is not None:
            self.kept.before_store(self.store, self.key, session)
        written = self.store.import_batch(session, events, self.key, cursor)
        if self.kept is not None:
            self.kept.stored(self.key, session, events)
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
        replaced_events=sum(r.replaced_events for r in results),
        session_ids=tuple(dict.fromkeys(touched)),
        skipped=tuple(s for r in results for s in r.skipped),
    )
