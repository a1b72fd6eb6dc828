"""PostgreSQL faults against a real server: restart mid-run, refused connection, statement timeout, full disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from sessionoptimizer_sdk import EventType, SessionOptimizer, SessionStatus
from sessionoptimizer_sdk._internal.safety import internal_error_count
from sessionoptimizer_sdk.errors import StoreError
from sessionoptimizer_sdk.store.postgres import PostgresStore
from tests import _pg


def test_restart_in_the_middle_of_a_run_loses_nothing(
    pg_cluster: _pg.PgCluster, pg_url: str, home: Path
) -> None:
    """``pg_ctl restart`` between two bursts: the writer reconnects and every event is stored exactly once."""
    opt = SessionOptimizer(home, store=pg_url)
    try:
        with opt.session("ATLAS", "survive a restart", model="sonnet") as s:
            for _ in range(200):
                s.log(EventType.AI_RESPONSE, tokens_input=1, tokens_output=2)
            assert opt.flush(timeout=30)
            pg_cluster.restart()  # every pooled connection is now dead
            for _ in range(300):
                s.log(EventType.AI_RESPONSE, tokens_input=1, tokens_output=2)
        assert opt.flush(timeout=60)
        session = opt.store.get_session(s.id)
        assert (session.event_count, session.tokens.input_tokens, session.tokens.output_tokens) == (
            500,
            500,
            1000,
        )
        assert session.status is SessionStatus.COMPLETED
        assert opt.store.counters().get("dropped_events", 0) == 0
    finally:
        opt.shutdown(timeout=30)


def test_refused_connection_at_start_is_a_clear_store_error(home: Path) -> None:
    """A server that is not listening fails construction with StoreError naming host, port and the reason."""
    with _pg.closed_port() as port, pytest.raises(StoreError) as caught:
        SessionOptimizer(home, store=f"postgresql://so:s3cret@127.0.0.1:{port}/team")
    message = str(caught.value)
    assert f"127.0.0.1:{port}/team" in message and "refused" in message.lower()
    assert "s3cret" not in message


def _lock_events(pg_server: str, url: str) -> object:
    """Hold an exclusive lock on the test schema's events table (an admin transaction left open)."""
    schema = url.rsplit("search_path%3D", 1)[1].split("%20", 1)[0]
    conn = _pg.admin(pg_server)
    conn.autocommit = False
    conn.execute(f"LOCK TABLE {schema}.events IN ACCESS EXCLUSIVE MODE")
    return conn


def test_statement_timeout_is_logged_once_counted_and_never_raised(
    pg_server: str, pg_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches that hit the statement timeout are dropped and counted, agent code never sees an error."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")  # production behaviour: internal errors are swallowed
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
    url = f"{pg_url}%20-cstatement_timeout%3D200"
    opt = SessionOptimizer(home, store=url)
    try:
        session = opt.start_session("BOLT", "timeouts", "grok")
        errors_before = internal_error_count()
        lock = _lock_events(pg_server, url)
        try:
            for _ in range(40):
                opt.log_event(session.id, EventType.TOOL_CALL, data={"tool": "make"}, tokens_input=5)
            opt.flush(timeout=60)  # the batch times out 5 times, then is dropped
        finally:
            lock.rollback()  # type: ignore[attr-defined]
            lock.close()  # type: ignore[attr-defined]
        for _ in range(10):
            opt.log_event(session.id, EventType.TOOL_CALL, data={"tool": "make"}, tokens_input=5)
        opt.end_session(session.id)
        assert opt.flush(timeout=30)
        stored = opt.store.get_session(session.id)
        assert stored.event_count == 10 and stored.status is SessionStatus.COMPLETED
        assert opt.store.counters()["dropped_events"] == 40
        assert internal_error_count() - errors_before == 1
    finally:
        opt.shutdown(timeout=30)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount a tmpfs")
def test_full_disk_is_counted_and_never_raised(
    pg_cluster: _pg.PgCluster, pg_server: str, pg_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events whose table lives on a full filesystem are dropped and counted; agent code goes on."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
    mount = Path(tempfile.mkdtemp(prefix="so-pg-full-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    space = f"so_full_{mount.name.replace('-', '_')[-8:]}"
    try:
        if pg_cluster.user:
            shutil.chown(mount, pg_cluster.user, pg_cluster.user)
        with _pg.admin(pg_server) as admin:
            admin.execute(f"CREATE TABLESPACE {space} LOCATION '{mount}'")
        opt = SessionOptimizer(home, store=f"{pg_url}%20-cdefault_tablespace%3D{space}")
        try:
            session = opt.start_session("BOLT", "disk full", "grok")
            for _ in range(2000):  # ~4 MB of incompressible event data into a 1 MB filesystem
                opt.log_event(
                    session.id, EventType.TOOL_CALL, data={"tool": "make", "out": os.urandom(1000).hex()}
                )
            opt.flush(timeout=90)
            stored = opt.store.count_events(session.id)
            dropped = opt._recorder.writer.dropped  # the counter row itself cannot be written to a full disk
            assert dropped > 0 and stored + dropped == 2000
        finally:
            opt.shutdown(timeout=30)
            with _pg.admin(pg_server) as admin:
                schema = pg_url.rsplit("search_path%3D", 1)[1]
                admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                admin.execute(f"DROP TABLESPACE IF EXISTS {space}")
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        shutil.rmtree(mount, ignore_errors=True)


def test_store_reconnects_after_restart_without_the_writer(pg_cluster: _pg.PgCluster, pg_url: str) -> None:
    """A store used directly (API server, CLI) answers again after a restart instead of failing."""
    store = PostgresStore(pg_url)
    try:
        assert store.count_sessions() == 0
        pg_cluster.restart()
        assert store.count_sessions() == 0
    finally:
        store.close()


_OPEN = """
import sys, time
from sessionoptimizer_sdk.store.postgres import PostgresStore
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(PostgresStore(sys.argv[1]).schema_version)
"""


def test_processes_starting_together_migrate_once(pg_url: str) -> None:
    """Six processes opening a fresh database at the same instant all succeed; the schema is created once."""
    import sys
    import time

    from sessionoptimizer_sdk.store.pg_schema import SCHEMA_VERSION

    go = str(time.time() + 2.0)
    procs = [
        subprocess.Popen([sys.executable, "-c", _OPEN, pg_url, go], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for _ in range(6)
    ]  # fmt: skip
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert [out.strip() for out, _ in results] == [str(SCHEMA_VERSION)] * 6
    store = PostgresStore(pg_url)
    try:
        assert store.query("SELECT count(*) FROM meta WHERE key = 'schema_version'") == [(1,)]
    finally:
        store.close()


def test_store_vanishing_mid_session_never_reaches_agent_code(
    pg_server: str, pg_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the store's tables gone mid-session, logging, ending, flushing and reading the session never raise."""
    monkeypatch.setenv("SESSIONOPTIMIZER_STRICT", "0")  # production behaviour: internal errors are swallowed
    monkeypatch.setenv("SESSIONOPTIMIZER_AUTO_ANALYZE", "0")
    opt = SessionOptimizer(home, store=pg_url)
    try:
        session = opt.start_session("BOLT", "vanishing store", "grok")
        opt.log_event(session.id, EventType.TOOL_CALL, data={"tool": "make"}, tokens_input=5)
        assert opt.flush(timeout=30)
        schema = pg_url.rsplit("search_path%3D", 1)[1]
        with _pg.admin(pg_server) as admin:
            admin.execute(
                f"DROP SCHEMA {schema} CASCADE"
            )  # every statement now fails (not a lost connection)
        for _ in range(5):
            opt.log_event(session.id, EventType.TOOL_CALL, data={"tool": "make"}, tokens_input=5)
        ended = opt.end_session(session.id)
        opt.flush(timeout=30)
        assert ended.id == session.id and ended.status is SessionStatus.COMPLETED
        assert opt._recorder.writer.dropped == 6  # the five events and the session end, each counted
    finally:
        opt.shutdown(timeout=30)
