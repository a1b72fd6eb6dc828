"""``advise``: guidance from an agent's recent findings, printed or written into CLAUDE.md / AGENTS.md."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
import time
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


def _new_file_mode() -> int:
    """The mode a plain ``open()`` would give a new file here: 0666 less the process umask."""
    mask = os.umask(0o077)  # reading the umask means setting it: briefly the strictest useful one
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(path: Path, text: str, *, mode: int | None = None) -> None:
    """Replace the file ``path`` names with ``text`` in one rename; a symlink is written through, never replaced.

    The temporary file is created 0600 in the real file's folder and takes its final ``mode`` before the rename:
    by default the file's own permission bits, or for a new file what the umask allows.
    """
    target = Path(os.path.realpath(path))  # a dotfiles symlink keeps pointing at the updated file
    if mode is None:
        mode = target.stat().st_mode & 0o7777 if target.exists() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup_copy(path: Path, name: str, stamp_format: str = "%Y%m%dT%H%M%S") -> Path | None:
    """Copy ``path`` (through a symlink) to a new file beside it, never overwriting an earlier backup.

    ``name`` holds ``{stamp}``, the time to the second; a second backup within the same second gets ``-2``,
    ``-3``... after it. The copy is private until it takes the original's permission bits. None: no file.
    """
    try:
        data, mode = path.read_bytes(), path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None
    stamp, n = time.strftime(stamp_format), 1
    while True:
        backup = path.with_name(name.format(stamp=stamp if n == 1 else f"{stamp}-{n}"))
        try:
            fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            n += 1
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), mode)
        return backup


def record_enabled_once(agent: str, kind: str, detail: dict[str, object]) -> None:
    """Record ``kind`` as enabled for ``agent`` unless the store's latest record of it already says so.

    Used when the file already holds our change: a write whose record failed is completed on a re-run.
    """
    store = get_state().optimizer().store
    latest = [e["action"] for e in store.list_enablements(agent) if e["kind"] == kind][-1:]
    if latest != ["enabled"]:
        store.record_enablement(agent, kind, detail=detail)
        click.echo(f"recorded the {kind} enablement for {agent}")


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
    detail = {"file": str(apply_to.resolve()), "items": len(guidance.items)}
    if not diff:
        click.echo(f"{apply_to}: guidance already up to date")
        if write:  # an earlier write whose record failed (a locked store): record it now
            record_enabled_once(agent, "guidance", detail)
        return
    click.echo(diff, nl=False)
    if not write:
        click.echo("dry run: nothing written (add --write to apply)")
        return
    # The record comes first: a store that cannot take it (locked) stops the command before the file changes.
    get_state().optimizer().store.record_enablement(agent, "guidance", detail=detail)
    write_atomically(apply_to, new)
    click.echo(f"wrote the guidance block into {apply_to}")
