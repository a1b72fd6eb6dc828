"""OTLP/HTTP ingest of the team server: decode, authorise (per-agent tokens), map, write, analyse."""

from __future__ import annotations

from .decode import Limits
from .errors import IngestRefused
from .routes import ingest_routes
from .service import IngestConfig, IngestService
from .tokens import TokenInfo, TokenVerifier, new_token

__all__ = [
    "IngestConfig",
    "IngestRefused",
    "IngestService",
    "Limits",
    "TokenInfo",
    "TokenVerifier",
    "ingest_routes",
    "new_token",
]
