"""Rows the writer just committed, held for the live analyses that want them (no read back from the store).

The writer thread calls :meth:`HandOver.put` after each commit with the rows and the ``seq`` of the first; only
rows of sessions that have a live analysis (:meth:`HandOver.want`) are kept, as ``(seqs, rows)`` chunks that share
the writer's row tuples. The analysis thread takes a session's chunks with :meth:`HandOver.take`. Bounded: past
``max_rows`` held rows a session's chunks are dropped and it is marked incomplete, so its next provisional analysis
reads from the store (the store stays the source of truth; nothing here is ever the only copy of a row).
"""

from __future__ import annotations

import threading
from collections.abc import Container, Sequence
from typing import Any

__all__ = ["Chunk", "HandOver"]

#: A run of one session's committed rows and their ``seq``s (ascending), ``seqs[i]`` the seq of ``rows[i]``.
Chunk = tuple[Sequence[int], Sequence[tuple[Any, ...]]]


class HandOver:
    """Committed rows per live session, handed from the writer thread to the analysis thread."""

    __slots__ = ("_chunks", "_held", "_incomplete", "_lock", "_wanted", "dropped_rows", "max_rows")

    def __init__(self, max_rows: int = 20_000) -> None:
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._wanted: set[str] = set()
        self._chunks: dict[str, list[Chunk]] = {}
        self._incomplete: set[str] = set()
        self._held = 0
        #: Rows let go because ``max_rows`` were already held (their sessions read from the store instead).
        self.dropped_rows = 0

    @property
    def held(self) -> int:
        """Rows held now, over all sessions."""
        return self._held

    def want(self, session_id: str) -> None:
        """Keep this session's rows from the next commit on (analysis thread)."""
        if session_id not in self._wanted:
            with self._lock:
                self._wanted.add(session_id)

    def forget(self, session_id: str) -> None:
        """Stop keeping a session's rows and let go of those held (its live analysis was dropped)."""
        with self._lock:
            self._wanted.discard(session_id)
            self._incomplete.discard(session_id)
            self._held -= sum(len(rows) for _, rows in self._chunks.pop(session_id, ()))

    def keep_only(self, session_ids: Container[str]) -> None:
        """Forget every wanted session not in ``session_ids`` (after the live cache evicted some)."""
        for sid in [s for s in self._wanted if s not in session_ids]:
            self.forget(sid)

    def put(self, rows: Sequence[tuple[Any, ...]], first_seq: int, touched: set[str]) -> None:
        """Keep the wanted sessions' rows of one commit (writer thread): row ``i`` got ``first_seq + i``."""
        wanted = self._wanted
        if not wanted or wanted.isdisjoint(touched):
            return
        if len(touched) == 1:  # one session in the commit (the usual case): the whole batch, no per-row work
            (sid,) = touched
            self._add(sid, (range(first_seq, first_seq + len(rows)), rows))
            return
        split: dict[str, tuple[list[int], list[tuple[Any, ...]]]] = {}
        for seq, row in enumerate(rows, first_seq):
            sid = row[1]
            if sid in wanted:
                part = split.get(sid)
                if part is None:
                    part = split[sid] = ([], [])
                part[0].append(seq)
                part[1].append(row)
        for sid, chunk in split.items():
            self._add(sid, chunk)

    def _add(self, session_id: str, chunk: Chunk) -> None:
        n = len(chunk[1])
        with self._lock:
            if session_id not in self._wanted or session_id in self._incomplete:
                return
            if self._held + n > self.max_rows:  # the analysis fell behind: let the store serve this session
                self._incomplete.add(session_id)
                self._held -= sum(len(rows) for _, rows in self._chunks.pop(session_id, ()))
                self.dropped_rows += n
                return
            self._chunks.setdefault(session_id, []).append(chunk)
            self._held += n

    def waiting(self, session_id: str) -> bool:
        """True if rows of the session are held, or some were let go.

        A look without the lock: a row handed over just after it is seen on the next look.
        """
        return session_id in self._chunks or session_id in self._incomplete

    def take(self, session_id: str) -> tuple[list[Chunk], bool]:
        """The session's chunks held since the last take, and False if some of its rows were let go."""
        with self._lock:
            chunks = self._chunks.pop(session_id, [])
            self._held -= sum(len(rows) for _, rows in chunks)
            complete = session_id not in self._incomplete
            self._incomplete.discard(session_id)
        return chunks, complete
