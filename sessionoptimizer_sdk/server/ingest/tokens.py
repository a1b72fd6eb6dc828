"""Ingest and read tokens: random secrets shown once, stored as SHA-256, checked with a short cache."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["TokenInfo", "TokenStore", "TokenVerifier", "hash_secret", "new_token"]

KIND_INGEST = "ingest"
KIND_READ = "read"
KINDS = (KIND_INGEST, KIND_READ)


class TokenStore(Protocol):
    """The store methods tokens need (part of ``Store``, on SQLite and PostgreSQL)."""

    def add_token(self, token_id: str, *, kind: str, agent: str | None, secret_sha256: str) -> None:
        """Store a token."""

    def find_token(self, secret_sha256: str) -> dict[str, Any] | None:
        """Find an unrevoked token by the hash of its secret."""

    def count_tokens(self, kind: str) -> int:
        """Count unrevoked tokens of a kind."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A verified token: its public id, kind (``ingest`` or ``read``) and, for ingest, its agent."""

    id: str
    kind: str
    agent: str | None


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a secret (secrets are 192 random bits: a slow hash adds nothing)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_token(store: TokenStore, kind: str, agent: str | None) -> tuple[str, str]:
    """Create a token; return (public id, secret). The secret is not stored and cannot be shown again."""
    token_id = secrets.token_hex(4)
    secret = f"so_{kind[0]}_{secrets.token_urlsafe(24)}"
    store.add_token(token_id, kind=kind, agent=agent, secret_sha256=hash_secret(secret))
    return token_id, secret


class TokenVerifier:
    """Checks presented secrets against the store; results are cached ``ttl`` seconds (revocation lag)."""

    def __init__(self, store: TokenStore, *, ttl: float = 2.0) -> None:
        self._store = store
        self._ttl = ttl
        self._cache: dict[str, tuple[float, TokenInfo | None]] = {}
        self._lock = threading.Lock()

    def verify(self, secret: str) -> TokenInfo | None:
        """The token a secret belongs to, or None (unknown or revoked)."""
        digest = hash_secret(secret)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        row = self._store.find_token(digest)
        info = TokenInfo(row["id"], row["kind"], row["agent"]) if row else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, info)
        return info

    def any_ingest_tokens(self) -> bool:
        """True when at least one unrevoked ingest token exists (then ingest requires one)."""
        return self._store.count_tokens(KIND_INGEST) > 0
