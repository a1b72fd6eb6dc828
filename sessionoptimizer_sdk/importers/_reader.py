"""Streaming line reader shared by the runner and the ``load_*`` functions (never a whole file in memory)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from orjson import loads as _fast_loads  # 2-3x the stdlib on transcripts (docs/decisions/json-speed.md)

from sessionoptimizer_sdk.errors import ImportSourceError
from sessionoptimizer_sdk.models import SessionEvent, SessionStatus, TokenUsage

from .base import ImportedSession, Importer, SkippedLine, TranscriptParser

__all__ = ["READ_BUFFER", "Line", "iter_lines", "load_file", "read_document", "unexpected_record"]

#: Read buffer of a transcript: lines average ~6 KB and reach MBs; with the default 8 KB buffer splitting the file
#: into lines cost 3x as much CPU (0.034 vs 0.011 s for 53 MB).
READ_BUFFER = 1 << 20

#: (line number, offset after the line, record or None, reason it was skipped or None)
Line = tuple[int, int, "dict[str, Any] | None", "str | None"]
TRUNCATED = "truncated last line (no newline yet); it is read again when the file grows"


def _why(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at column {exc.colno}"
    return f"not valid UTF-8 JSON: {exc}"


def iter_lines(fh: IO[bytes], offset: int, line: int) -> Iterator[Line]:
    """Parse JSONL from ``offset`` (after line ``line``) of a binary file, one line at a time.

    A malformed complete line is reported and consumed; an unparseable last line without a newline is reported
    but not consumed (its offset is not advanced), so a writer finishing it later gets it imported.
    """
    fh.seek(offset)
    for raw in fh:
        line += 1
        start = offset
        offset += len(raw)
        try:  # the line as read: its newline is JSON whitespace, so no stripped copy of ~6 KB per line
            record = _fast_loads(raw)
        except ValueError:
            body = raw.strip()
            if not body:
                yield line, offset, None, None
                continue
            try:  # the stdlib decides (NaN, UTF-16, huge ints, other blanks around) and words the reason
                record = json.loads(body)
            except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8
                if not raw.endswith(b"\n"):
                    yield line, start, None, TRUNCATED
                    return
                yield line, offset, None, _why(exc)
                continue
        if not isinstance(record, dict):
            yield line, offset, None, f"not a JSON object (got {type(record).__name__})"
            continue
        yield line, offset, record, None


def read_document(path: Path) -> dict[str, Any]:
    """Read a whole-file JSON document (e.g. a ``.traj``) or raise ImportSourceError saying why."""
    try:
        with path.open("rb") as fh:
            record = json.load(fh)
    except OSError as exc:
        raise ImportSourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ImportSourceError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ImportSourceError(f"{path} does not hold a JSON object")
    return record


def _feed(parser: TranscriptParser, record: dict[str, Any], line: int, path: Path) -> SkippedLine | None:
    try:
        parser.feed(record, line)
    except Exception as exc:  # any fault of one record skips it, never the rest of the file
        return SkippedLine(str(path), line, unexpected_record(exc))
    return None


def unexpected_record(exc: Exception) -> str:
    """Why a parser refused a record: ValueError & co. are its own words, anything else names the exception."""
    if isinstance(exc, ValueError | TypeError | KeyError):
        return f"unexpected record: {exc}"
    return f"unexpected record: {type(exc).__name__}: {exc}"


def load_file(
    importer: Importer, path: Path, *, agent: str | None = None, capture_content: bool = False
) -> ImportedSession:
    """Parse one transcript into memory (events deduplicated by id, latest version kept, file order)."""
    parser = importer.parser(path, agent=agent, capture_content=capture_content, state=None)
    skipped: list[SkippedLine] = []
    events: dict[str, SessionEvent] = {}
    if importer.whole_file:
        problem = _feed(parser, read_document(path), 1, path)
        if problem:
            raise ImportSourceError(f"{path}: {problem.reason}")
    else:
        try:
            fh = path.open("rb", buffering=READ_BUFFER)
        except OSError as exc:
            raise ImportSourceError(f"cannot read {path}: {exc.strerror or exc}") from None
        with fh:
            for line, _end, record, reason in iter_lines(fh, 0, 0):
                if reason:
                    skipped.append(SkippedLine(str(path), line, reason))
                elif record is not None and (problem := _feed(parser, record, line, path)):
                    skipped.append(problem)
    for event in parser.take_events():
        events[event.id] = event
    session = parser.session(SessionStatus.COMPLETED)
    if session is None:
        raise ImportSourceError(f"{path} holds no session records")
    ordered = tuple(events.values())
    totals = sum((e.usage for e in ordered), TokenUsage())
    last: datetime | None = max((e.timestamp for e in ordered), default=None)
    session = replace(session, tokens=totals, event_count=len(ordered), last_event_at=last)
    return ImportedSession(session=session, events=ordered, skipped=tuple(skipped))
