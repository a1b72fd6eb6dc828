"""Importers: sessions people already have on disk (Claude Code, Codex CLI, SWE-agent) into the store."""

from __future__ import annotations

from .base import ImportedSession, Importer, SkippedLine, TranscriptParser
from .registry import available_importers, get_importer
from .runner import ImportSummary, import_paths

__all__ = [
    "ImportSummary",
    "ImportedSession",
    "Importer",
    "SkippedLine",
    "TranscriptParser",
    "available_importers",
    "get_importer",
    "import_paths",
]
