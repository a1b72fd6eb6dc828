"""``sessionoptimizer migrate``: copy a store into another (e.g. a laptop's SQLite file into the team's PostgreSQL)."""

from __future__ import annotations

import click

from ..config import Settings
from ..errors import StoreError
from ..store.copy import copy_store
from ..store.selection import open_store
from ._common import format_option, get_state, print_json, stdout_console

__all__ = ["migrate"]


@click.command()
@click.option(
    "--from", "source_url", required=True, metavar="URL", help="Store to copy from (sqlite:///path...)."
)
@click.option(
    "--to", "target_url", required=True, metavar="URL", help="Store to copy into (postgresql://...)."
)
@format_option("text", "json")
def migrate(source_url: str, target_url: str, fmt: str) -> None:
    """Copy sessions, events, reports and alert history between stores; safe to re-run, verified at the end."""
    settings = Settings.from_env(get_state().home)
    source = open_store(source_url, settings)
    target = open_store(target_url, settings)
    if source.location == target.location:
        raise click.UsageError("--from and --to name the same store")
    total_sessions = source.count_sessions()
    total_events = source.count_events()
    console = stdout_console()
    # loaded here, not when the CLI registers its commands: ~10 ms of every command's start-up
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=fmt == "json" or not console.is_terminal,
    ) as bar:
        sessions_task = bar.add_task("sessions", total=total_sessions)
        events_task = bar.add_task("events", total=total_events)
        tasks = {"sessions": sessions_task, "events": events_task}
        summary = copy_store(source, target, lambda what, n: bar.advance(tasks[what], n))
    result = {
        "from": source.location,
        "to": target.location,
        "sessions": summary.sessions,
        "events_in_source": total_events,
        "events_copied": summary.events_copied,
        "sessions_already_complete": summary.sessions_skipped,
        "reports": summary.reports,
        "alerts": summary.alerts,
        "tokens": summary.tokens,
        "enablements": summary.enablements,
        "verified": summary.verified,
        "mismatches": list(summary.mismatches),
    }
    source.close()
    target.close()
    if fmt == "json":
        print_json(result)
    else:
        console.print(
            f"Copied {summary.sessions:,} sessions ({summary.events_copied:,} new events of {total_events:,}, "
            f"{summary.reports:,} reports, {summary.alerts:,} alerts) from {source.location} to {target.location}."
        )
    if not summary.verified:
        raise StoreError(
            f"verification failed for {len(summary.mismatches)} session(s): {summary.mismatches[:5]}"
        )
    if fmt != "json":
        console.print("[green]Verified: every session has the same events and totals on both stores.[/]")
