"""``sessionoptimizer token``: per-agent ingest tokens and read tokens of the team server (stored hashed)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from ..config import Settings
from ..store import Store, open_store
from ._common import escape, fail, format_option, get_state, new_table, print_json, stdout_console

__all__ = ["token"]


@contextlib.contextmanager
def _store() -> Iterator[Store]:
    """The selected store, closed afterwards (a PostgreSQL pool must not outlive the command)."""
    state = get_state()
    store = open_store(state.store_url, Settings.from_env(state.home))
    try:
        yield store
    finally:
        store.close()


def _check_agent(agent: str) -> str:
    name = agent.strip()
    if not name or len(name) > 200 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise fail(f"invalid agent name {agent!r}: 1-200 printable characters")
    return name


@click.group()
def token() -> None:
    """Create, list and revoke the team server's tokens (ingest: one agent; read: API and dashboard)."""


@token.command("create")
@click.option("--agent", default=None, help="The only agent this ingest token may write sessions of.")
@click.option("--read", "read", is_flag=True, help="A read token (REST API and dashboard) instead.")
@format_option("text", "json")
def create(agent: str | None, read: bool, fmt: str) -> None:
    """Create a token and print its secret once (only its SHA-256 is stored)."""
    from ..server.ingest.tokens import KIND_INGEST, KIND_READ, new_token

    if read == (agent is not None):
        raise fail("give exactly one of --agent NAME (ingest token) or --read (read token)")
    kind = KIND_READ if read else KIND_INGEST
    with _store() as store:
        token_id, secret = new_token(store, kind, _check_agent(agent) if agent is not None else None)
    if fmt == "json":
        print_json({"id": token_id, "kind": kind, "agent": agent, "token": secret})
        return
    who = f"agent {agent}" if agent else "reading the API and dashboard"
    click.echo(f"Created {kind} token {token_id} for {who}. Copy the secret now; it is not shown again:")
    click.echo(secret)


@token.command("list")
@format_option("text", "json")
def list_tokens(fmt: str) -> None:
    """List tokens (id, kind, agent, created, revoked); never their secrets."""
    with _store() as store:
        rows = store.list_tokens()
    if fmt == "json":
        print_json({"tokens": rows})
        return
    table = new_table("id", "kind", "agent", "created", "revoked")
    from datetime import UTC, datetime

    def when(ts: float | None) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"

    for row in rows:
        agent = escape(row["agent"] or "-")
        table.add_row(row["id"], row["kind"], agent, when(row["created_at"]), when(row["revoked_at"]))
    stdout_console().print(table)


@token.command("revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke a token by id (servers refuse it within 2 seconds)."""
    with _store() as store:
        revoked = store.revoke_token(token_id)
    if not revoked:
        raise fail(f"no active token with id {token_id!r} (see `sessionoptimizer token list`)")
    click.echo(f"Revoked token {token_id}.")
