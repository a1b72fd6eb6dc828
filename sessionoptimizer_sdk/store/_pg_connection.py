"""PostgreSQL plumbing: URL checks without leaking the password, first connection, migrations under a lock."""

from __future__ import annotations

import re
from typing import Any

from ..errors import StoreError
from .pg_schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["describe", "import_psycopg", "is_connection_error", "migrate_pg", "parse_url", "scrub"]

CONNECT_TIMEOUT_S = 5
#: Migrations of one schema run under this advisory lock (``hashtext`` of the key and the current schema).
_LOCK_KEY = "sessionoptimizer.migrate"


def import_psycopg() -> Any:
    """The psycopg module, or a StoreError saying how to install it."""
    try:
        import psycopg
        import psycopg_pool  # noqa: F401
    except ImportError as exc:  # pragma: no cover - the [postgres] extra is part of dev
        raise StoreError(
            f"PostgreSQL needs psycopg 3 and psycopg-pool ({exc}); pip install 'sessionoptimizer-sdk[postgres]'"
        ) from None
    return psycopg


def parse_url(url: str) -> dict[str, Any]:
    """The libpq parameters of ``url``; StoreError (without the password) when it is not a valid URL."""
    psycopg = import_psycopg()
    try:
        params: dict[str, Any] = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise StoreError(f"invalid PostgreSQL URL {redact(url)!r}: {scrub(str(exc), url)}") from None
    return params


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``: in its user info and in ``?password=`` parameters."""
    url = _QUERY_SECRET.sub(r"\1***", url)
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    creds, _, hostpart = rest.partition("@")
    user, colon, _ = creds.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{hostpart}"


#: libpq's connection parameters that hold a secret, given in a URL's query (``?password=...``).
_QUERY_SECRET = re.compile(r"(?i)([?&](?:password|sslpassword)=)[^&#]*")


def describe(params: dict[str, Any]) -> str:
    """``host:port/db`` of a parsed URL, for messages."""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    return f"{host}:{params.get('port') or 5432}/{params.get('dbname') or params.get('user') or ''}"


def scrub(message: str, url: str, params: dict[str, Any] | None = None) -> str:
    """``message`` with the URL's password removed, whatever the driver put in it."""
    password = (params or {}).get("password")
    out = message.replace(url, redact(url))
    if password:
        out = out.replace(str(password), "***")
    return out.strip()


def is_connection_error(exc: BaseException) -> bool:
    """True for a lost or refused connection (worth reconnecting), False for a statement's own failure."""
    psycopg = import_psycopg()
    from psycopg_pool import PoolTimeout

    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = getattr(exc, "sqlstate", None)
    # no SQLSTATE: the socket broke; 08xxx connection exceptions; 57P01-57P03 shutdown / cannot connect now.
    return state is None or state.startswith("08") or state in {"57P01", "57P02", "57P03"}


def migrate_pg(conn: Any) -> int:
    """Apply pending migrations of the connection's current schema under an advisory lock; return the version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()))", (_LOCK_KEY,))
        version = _current_version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store's schema version {version} is newer than this SessionOptimizer "
                f"supports ({SCHEMA_VERSION}); upgrade the package"
            )
        if version == SCHEMA_VERSION:
            return version
        for script in MIGRATIONS[version:]:
            conn.execute(script)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
    return SCHEMA_VERSION


def _current_version(conn: Any) -> int:
    if conn.execute("SELECT to_regclass('meta')").fetchone()[0] is None:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0
