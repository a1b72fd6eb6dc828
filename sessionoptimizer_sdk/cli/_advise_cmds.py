"""``advise``: guidance from an agent's recent findings, printed or written into CLAUDE.md / AGENTS.md."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._internal.validate import MAX_DAYS
from ._common import fail, get_state

#: The largest CLAUDE.md / AGENTS.md ``--apply`` reads (such files are a few KiB).
MAX_INSTRUCTIONS_BYTES = 1024 * 1024

if TYPE_CHECKING:
    from ..analysis.report import OptimizationReport

_FORMATS = ("text", "claude-md", "agents-md", "json")


def load_guidance_reports(agent: str, days: int) -> list[OptimizationReport]:
    """Final reports of ``agent``'s sessions started in the last ``days`` days (analyzed now)."""
    opt = get_state().optimizer()
    since = datetime.now(UTC) - timedelta(days=days)
    return [opt.analyze(s.id) for s in opt.list_sessions(agent=agent, since=since, limit=None)]


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename, keeping its permission bits."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_instructions(path: Path) -> str:
    """The text of an instructions file ("" if it does not exist yet): a regular UTF-8 file of at most 1 MiB.

    Refused otherwise (exit 2): ``/dev/zero`` or a FIFO would be read forever, a huge file is not a CLAUDE.md.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise fail(f"{path} is not a regular file")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_INSTRUCTIONS_BYTES + 1)  # bounded even if the file grows meanwhile
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_INSTRUCTIONS_BYTES:
        raise fail(
            f"{path} is larger than {MAX_INSTRUCTIONS_BYTES // 1024 // 1024} MiB: not an instructions file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"cannot read {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def unified_diff(path: Path, old: str, new: str) -> str:
    """A unified diff of ``path`` from ``old`` to ``new`` ("" when equal)."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), str(path), f"{path} (new)"
        )
    )


@click.command()
@click.argument("agent")
@click.option("--days", "-d", type=click.IntRange(1, MAX_DAYS), default=14, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS, case_sensitive=False),
    default=None,
    help="Output format (default text; with --apply, from the file name).",
)
@click.option(
    "--min-sessions",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Keep items seen in at least N sessions.",
)
@click.option("--max-items", type=click.IntRange(min=1, max=50), default=8, show_default=True)
@click.option(
    "--apply",
    "apply_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CLAUDE.md / AGENTS.md to update between markers (shows a diff unless --write).",
)
@click.option("--write", is_flag=True, help="With --apply: write the file (default: dry run, diff only).")
def advise(
    agent: str,
    days: int,
    fmt: str | None,
    min_sessions: int,
    max_items: int,
    apply_to: Path | None,
    write: bool,
) -> None:
    """Guidance for AGENT from its recurring waste, ranked by money saved."""
    from ..analysis.guidance import build_guidance
    from ..reporting.guidance import apply_block, render_guidance

    if write and apply_to is None:
        raise click.UsageError("--write needs --apply FILE")
    old = ""
    if apply_to is not None:
        fmt = fmt or ("agents-md" if apply_to.name.lower() == "agents.md" else "claude-md")
        if fmt not in ("claude-md", "agents-md"):
            raise click.UsageError("--apply writes a claude-md or agents-md block")
        if not apply_to.parent.is_dir():
            raise fail(f"no such folder: {apply_to.parent}")
        old = read_instructions(apply_to)  # bad input exits 2 before the store is read
    reports = load_guidance_reports(agent, days)
    root = str(apply_to.resolve().parent) if apply_to is not None else os.getcwd()
    guidance = build_guidance(
        agent, reports, days=days, min_sessions=min_sessions, max_items=max_items, root=root
    )
    text = render_guidance(guidance, fmt or "text")
    if apply_to is None:
        click.echo(text, nl=False)
        return
    new = apply_block(old, text)
    diff = unified_diff(apply_to, old, new)
    if not diff:
        click.echo(f"{apply_to}: guidance already up to date")
        return
    click.echo(diff, nl=False)
    if not write:
        click.echo("dry run: nothing written (add --write to apply)")
        return
    write_atomically(apply_to, new)
    get_state().optimizer().store.record_enablement(
        agent, "guidance", detail={"file": str(apply_to.resolve()), "items": len(guidance.items)}
    )
    click.echo(f"wrote the guidance block into {apply_to}")
