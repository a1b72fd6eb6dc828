"""A throwaway PostgreSQL cluster for the test session: ``initdb`` + ``pg_ctl`` on a free local port.

The server refuses to run as root, so under root it runs as the ``postgres`` user (or ``nobody``). Found in PATH
or under /usr/lib/postgresql/*/bin; ``SESSIONOPTIMIZER_TEST_PG=postgresql://...`` uses an existing server instead.
Each test gets its own schema (``search_path`` in the URL), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PgCluster", "admin", "closed_port", "create_schema", "drop_schema", "find_pg_bin", "schema_url"]


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (PATH first, then the newest Debian version), or None."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The unprivileged user to run the server as when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


@dataclass
class PgCluster:
    """A private cluster: data folder, socket folder and port; started, restarted and removed by the tests."""

    bindir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="so-pg-")))
    port: int = field(default_factory=_free_port)
    user: str | None = field(default_factory=_run_as)
    #: False (tests): fsync and synchronous commit off. True (benchmarks): PostgreSQL's durable defaults.
    durable: bool = False

    @property
    def data(self) -> Path:
        """The cluster's data folder."""
        return self.root / "data"

    @property
    def url(self) -> str:
        """A superuser URL over TCP on 127.0.0.1."""
        return f"postgresql://so@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *args: str, check: bool = True) -> str:
        # Output goes through a file, not a pipe: a restarted server inherits pg_ctl's descriptors and a pipe
        # would never reach EOF.
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                list(args), user=self.user, stdout=out, stderr=subprocess.STDOUT, timeout=120, cwd=self.root
            )
            out.seek(0)
            text = out.read()
        if check and proc.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({proc.returncode}): {text}")
        return text

    def init(self) -> None:
        """``initdb`` a fresh cluster tuned for throwaway tests (no fsync)."""
        os.chmod(self.root, 0o755)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._cmd(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "so", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", opts,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` disconnects clients)."""
        self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        """``pg_ctl restart``: every client connection is cut."""
        self._cmd(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "restart"
        )

    def destroy(self) -> None:
        """Stop the server and delete its files."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def schema_url(base: str, schema: str) -> str:
    """``base`` with ``search_path`` set to ``schema``."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def create_schema(base: str) -> tuple[str, str]:
    """Create a fresh schema on the server at ``base``; return (its name, a URL using it)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name, schema_url(base, name)


def drop_schema(base: str, name: str) -> None:
    """Drop a test's schema and everything in it."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def admin(base: str) -> Any:
    """An autocommit connection to the server (for tests that inspect it)."""
    import psycopg

    return psycopg.connect(base, autocommit=True)


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A local port that is bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
