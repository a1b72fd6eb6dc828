"""``sessionoptimizer import <source> [PATH ...]``: import existing transcripts, once or live."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sessionoptimizer_sdk.cli._common import EXIT_USAGE, exit_code_for, plain
from sessionoptimizer_sdk.cli._exit import allow_fast_exit
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.errors import SessionOptimizerError
from sessionoptimizer_sdk.importers.follow import DEFAULT_IDLE_TIMEOUT, follow
from sessionoptimizer_sdk.importers.runner import ImportSummary
from sessionoptimizer_sdk.store.base import Store
from sessionoptimizer_sdk.store.selection import open_store

if TYPE_CHECKING:  # rich: only to print (_LazyConsole); Shipper: --server only (OTLP protobuf, ~30 ms)
    from rich.console import Console
    from rich.progress import Progress

    from sessionoptimizer_sdk.importers.ship import Shipper

__all__ = ["import_command"]

_MAX_SKIPPED_SHOWN = 20


class _LazyConsole:
    """The command's rich console, made on first use: an import printing JSON never loads rich (~20 ms)."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __call__(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console


class _LazyProgress:
    """A rich progress bar that appears only once an import has run for more than ``delay`` seconds."""

    def __init__(self, console: _LazyConsole, delay: float = 1.0) -> None:
        self._console = console
        self._delay = delay
        self._start = time.monotonic()
        self._progress: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            if (
                time.monotonic() - self._start < self._delay
                or done >= total
                or not self._console().is_terminal
            ):
                return
            # loaded only when a bar is shown (a terminal, an import of over a second): ~10 ms of start-up
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("importing"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=self._console(),
            )
            self._progress.start()
            self._task = self._progress.add_task("import", total=total)
        self._progress.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _incomplete_output(store: Store, session_ids: Sequence[str]) -> list[str]:
    out = []
    for sid in session_ids:
        session = store.find_session(sid)
        if session is not None and session.metadata.get("output_tokens_incomplete"):
            out.append(sid)
    return out


def _render(console_of: _LazyConsole, summary: ImportSummary, incomplete: Sequence[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(
            json.dumps({**summary.to_dict(), "output_incomplete_sessions": list(incomplete)}, indent=2)
        )
        return
    from rich.table import Table

    console = console_of()
    table = Table(title=f"Imported {summary.source} transcripts", show_header=False)
    rows = (
        ("Files", summary.files),
        ("Unchanged since last import", summary.unchanged_files),
        ("Sessions created or updated", summary.sessions),
        ("Events written", summary.events),
        ("Events replaced (file rewritten)", summary.replaced_events),
        ("Lines read", summary.lines),
        ("Bytes read", summary.bytes_read),
        ("Lines skipped", len(summary.skipped)),
    )
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    console.print(table)
    for skip in summary.skipped[:_MAX_SKIPPED_SHOWN]:
        where = f"{skip.path}:{skip.line}" if skip.line else skip.path
        console.print(f"  skipped {plain(where)}: {plain(skip.reason)}", markup=False, highlight=False)
    if len(summary.skipped) > _MAX_SKIPPED_SHOWN:
        console.print(f"  ... and {len(summary.skipped) - _MAX_SKIPPED_SHOWN} more (use --format json)")
    if incomplete:
        console.print(
            f"Note: {len(incomplete)} session(s) come from transcripts whose output_tokens are placeholders "
            "(Claude Code writes the stream-start value); their output tokens and cost are lower bounds.",
            markup=False,
        )


def _follow(
    store: Store, source: str, paths: list[Path] | None, console: Console, **kw: Any
) -> ImportSummary:
    """Run :func:`follow` on a worker thread so Ctrl-C (or ``--stop-after``) stops it cleanly."""
    stop = threading.Event()
    box: dict[str, Any] = {}
    stop_after = kw.pop("stop_after")
    shipper: Shipper | None = kw.pop("shipper")
    touched: set[str] = set()

    def on_update(update: ImportSummary) -> None:
        stamp = time.strftime("%H:%M:%S")
        console.print(f"{stamp} +{update.events} events in {update.sessions} session(s)", highlight=False)
        touched.update(update.session_ids)

    def ship(ids: Sequence[str]) -> None:
        if shipper is None:
            return
        try:
            shipper.ship(ids)
        except SessionOptimizerError as exc:  # the server is down: keep following, ship on the next pass
            console.print(f"not shipped yet: {exc}", markup=False, highlight=False)

    def run() -> None:
        try:
            box["summary"] = follow(store, source, paths, stop=stop, on_update=on_update, **kw)
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="sessionoptimizer-follow", daemon=True)
    worker.start()
    console.print(f"Following {source} transcripts; Ctrl-C to stop.", highlight=False)
    deadline = time.monotonic() + stop_after if stop_after else None
    next_ship = time.monotonic()
    try:
        while worker.is_alive():
            worker.join(0.2)
            if shipper is not None and time.monotonic() >= next_ship:
                ship(sorted(touched))  # also carries sessions the follower ended as idle
                next_ship = time.monotonic() + 1.0
            if deadline is not None and time.monotonic() >= deadline:
                stop.set()
    except KeyboardInterrupt:
        stop.set()
    stop.set()
    worker.join()
    if "error" in box:
        raise box["error"]
    summary: ImportSummary = box["summary"]
    ship(sorted({*touched, *summary.session_ids}))
    return summary


def _source_command(source: str, default_hint: str) -> click.Command:
    @click.command(
        source, help=f"Import {source} transcripts from PATH (files or folders; default {default_hint})."
    )
    @click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
    @click.option(
        "--follow", "follow_", is_flag=True, help="Keep tailing the transcripts; live sessions are ACTIVE."
    )
    @click.option("--agent", default=None, help=f"Agent name stored on the sessions (default {source}).")
    @click.option(
        "--capture-content", is_flag=True, help="Store prompts, tool arguments and results (default off)."
    )
    @click.option(
        "--idle-timeout",
        type=click.FloatRange(min=0.0),
        default=DEFAULT_IDLE_TIMEOUT,
        show_default=True,
        help="With --follow: seconds without growth before a session is COMPLETED.",
    )
    @click.option("--poll-interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True)
    @click.option(
        "--stop-after", type=click.FloatRange(min=0.0), default=None, help="With --follow: stop after N s."
    )
    @click.option(
        "--home",
        type=click.Path(path_type=Path),
        default=None,
        help="Store folder (default $SESSIONOPTIMIZER_HOME or ~/.sessionoptimizer).",
    )
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.option("--server", default=None, help="Also ship the sessions to this team server (URL).")
    @click.option(
        "--token", envvar="SESSIONOPTIMIZER_INGEST_TOKEN", default=None, help="Ingest token for --server."
    )
    def command(
        paths: tuple[Path, ...],
        follow_: bool,
        agent: str | None,
        capture_content: bool,
        idle_timeout: float,
        poll_interval: float,
        stop_after: float | None,
        home: Path | None,
        fmt: str,
        server: str | None = None,
        token: str | None = None,
    ) -> None:
        console = _LazyConsole(stderr=fmt == "json")
        root = click.get_current_context().find_root().obj
        if home is None:  # the root group's --home (``sessionoptimizer --home DIR import ...``)
            home = getattr(root, "home", None)
        try:
            settings = Settings.from_env(home)
            store_url = getattr(root, "store_url", None)
            store = open_store(store_url, settings)
            capture = capture_content or settings.capture_content
            chosen = list(paths) or None
            shipper = None
            if server:
                from sessionoptimizer_sdk.importers.ship import Shipper

                shipper = Shipper(store, server, token=token)
            if follow_:
                summary = _follow(
                    store,
                    source,
                    chosen,
                    console(),
                    agent=agent,
                    capture_content=capture,
                    poll_interval=poll_interval,
                    idle_timeout=idle_timeout,
                    stop_after=stop_after,
                    shipper=shipper,
                )
            else:
                from sessionoptimizer_sdk.importers.finalize import import_and_report

                progress = _LazyProgress(console)
                # this one-shot command owns its process, and an import makes no reference cycles (a 53 MB
                # transcript left ~500 objects of cyclic garbage): the collector's walks over the kept
                # events would be pure cost (docs/decisions/import-speed.md)
                gc_was_on = gc.isenabled()
                gc.disable()
                try:  # SessionOptimizer.import_sessions without a recorder: nothing here is recorded
                    summary = import_and_report(
                        store,
                        settings,
                        source,
                        chosen,
                        agent=agent,
                        capture_content=capture,
                        progress=progress,
                    )
                finally:
                    if gc_was_on:
                        gc.enable()
                    progress.close()
                if shipper is not None:
                    shipper.ship(summary.session_ids)
        except SessionOptimizerError as exc:
            if (
                exit_code_for(exc) == EXIT_USAGE
            ):  # bad input (a --server that is no URL, a bad setting): exit 2
                raise click.UsageError(str(exc)) from None
            raise click.ClickException(str(exc)) from None
        _render(console, summary, _incomplete_output(store, summary.session_ids), fmt)
        store.close()  # a PostgreSQL pool must not outlive the command
        if not follow_ and shipper is None:  # all committed and closed: the process may skip its teardown
            allow_fast_exit()
        if summary.nothing_read:
            raise click.exceptions.Exit(1)

    return command


@click.group("import")
def import_command() -> None:
    """Import sessions you already have: Claude Code, Codex CLI and SWE-agent transcripts."""


_SOURCES: tuple[tuple[str, str], ...] = (
    ("claude-code", "~/.claude/projects"),
    ("codex", "~/.codex/sessions"),
    ("swe-agent", "./trajectories"),
)
for _name, _hint in _SOURCES:
    import_command.add_command(_source_command(_name, _hint))
