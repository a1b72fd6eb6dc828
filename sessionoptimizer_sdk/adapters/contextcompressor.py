"""ContextCompressor adapter: ``compress_file`` that also logs the FILE_READ with its compression figures.

The large-read detector only credits a read as compressed when the event says so; calling the wrapper instead
of ``compress_file`` records ``compressed``, ``original_tokens``, ``compressed_tokens`` and ``savings`` exactly
as the spec's integration snippet does by hand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..models import EventType, SessionEvent
from ._base import current_session_id, log_to_session, require, tool_failed

if TYPE_CHECKING:
    from ._base import Optimizer

__all__ = ["ContextCompressorAdapter", "compression_figures"]

_ORIGINAL = ("original", "original_tokens")
_COMPRESSED = ("compressed", "compressed_tokens")
_SAVINGS = ("savings_percent", "savings")


def _pick(result: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((result[k] for k in keys if k in result), None)


def compression_figures(result: Any) -> tuple[int, int, float]:
    """(original tokens, compressed tokens, savings %) from a ``compress_file`` result; ValueError if malformed."""
    if not isinstance(result, Mapping):
        raise ValueError(f"compress_file returned {type(result).__name__}, expected a mapping")
    original, compressed = _pick(result, _ORIGINAL), _pick(result, _COMPRESSED)
    for label, value in (("original", original), ("compressed", compressed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"compress_file result {label!r} must be a non-negative integer, got {value!r}")
    savings = _pick(result, _SAVINGS)
    if isinstance(savings, bool) or not isinstance(savings, int | float):
        savings = 100.0 * (1 - compressed / original) if original else 0.0
    return original, compressed, round(float(savings), 2)


class ContextCompressorAdapter:
    """Wraps ContextCompressor's ``compress_file``: same arguments and result, plus a FILE_READ event.

    Args:
        optimizer: the optimizer whose sessions receive the reads.
        source: the ``contextcompressor`` module or its ``compress_file`` function (default: import it).
        session_id: always log into this session (default: the session the calling code runs in).
    """

    name: ClassVar[str] = "contextcompressor"
    module: ClassVar[str] = "contextcompressor"

    def __init__(self, optimizer: Optimizer, source: Any = None, *, session_id: str | None = None) -> None:
        self._compress = require(source, ("compress_file",), "ContextCompressor", module=self.module)[
            "compress_file"
        ]
        self._optimizer = optimizer
        self._session_id = session_id
        self.last_event: SessionEvent | None = None
        self.failures = 0

    def compress_file(self, file_path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Any:
        """Call ``compress_file`` and return its result unchanged; log the read into the current session.

        An exception from ``compress_file`` itself is the caller's to handle and propagates as is; a result
        the adapter cannot read is returned all the same, with a logged warning and no event.
        """
        result = self._compress(file_path, *args, **kwargs)
        self.last_event = None
        try:
            original, compressed, savings = compression_figures(result)
        except ValueError as exc:
            self.failures += 1
            tool_failed("ContextCompressor", "compress_file", exc)
            return result
        data: dict[str, Any] = {
            "file_path": os.fspath(file_path),
            "compressed": True,
            "original_tokens": original,
            "compressed_tokens": compressed,
            "savings": savings,
        }
        self.last_event = log_to_session(
            self._optimizer,
            "ContextCompressor",
            current_session_id(self._optimizer, self._session_id),
            EventType.FILE_READ,
            data,
            tokens_input=compressed,
        )
        return result

    __call__ = compress_file
