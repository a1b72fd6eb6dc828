"""``hooks install`` / ``hooks uninstall``: our Claude Code hook entries in settings.json (dry run by default)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ._advise_cmds import backup_copy, record_enabled_once, unified_diff, write_atomically
from ._common import fail, get_state


def _settings_path(user: bool, settings: Path | None, target: str = "claude-code") -> Path:
    if settings is not None:
        return settings
    base = Path.home() if user else Path.cwd()
    return base / ".codex" / "hooks.json" if target == "codex" else base / ".claude" / "settings.json"


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _agents_in(settings: dict[str, Any]) -> set[str]:
    """Agent names of our installed entries (read from their ``--agent`` argument)."""
    from ..hooks.runtime import MARKER

    found = set()
    for groups in (settings.get("hooks") or {}).values():
        for group in groups if isinstance(groups, list) else []:
            for h in group.get("hooks", []) if isinstance(group, dict) else []:
                command = str(h.get("command", "")) if isinstance(h, dict) else ""
                if MARKER in command:
                    words = shlex.split(command)
                    if "--agent" in words and words.index("--agent") + 1 < len(words):
                        found.add(words[words.index("--agent") + 1])
    return found


def _apply(path: Path, old_text: str, new: dict[str, Any], write: bool, record: Callable[[], None]) -> bool:
    """Show the diff; with ``write`` call ``record``, back the file up and replace it. True if it changed.

    ``record`` (the enablement) runs first: when the store cannot take it (locked), the command fails before the
    settings change, so a re-run does both instead of finding "nothing to change" and never recording.
    """
    new_text = _dump(new)
    if old_text and json.loads(old_text) == new:
        click.echo(f"{path}: nothing to change")
        return False
    click.echo(unified_diff(path, old_text, new_text), nl=False)
    if not write:
        click.echo("dry run: nothing written (add --write to apply)")
        return False
    record()
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = backup_copy(path, path.name + ".sessionoptimizer-{stamp}.bak")
    if backup is not None:
        click.echo(f"backup: {backup}")
    write_atomically(path, new_text)
    click.echo(f"wrote {path}")
    return True


_where = [
    click.option("--project", "scope", flag_value="project", default=True, help="./.claude/settings.json"),
    click.option("--user", "scope", flag_value="user", help="~/.claude/settings.json"),
    click.option(
        "--target",
        type=click.Choice(["claude-code", "codex"]),
        default="claude-code",
        show_default=True,
        help="codex: write .codex/hooks.json (retry guard only: Codex reads files through the shell).",
    ),
    click.option(
        "--settings",
        "settings_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Edit this settings file instead.",
    ),
    click.option("--write", is_flag=True, help="Apply the change (default: dry run showing the diff)."),
]


def _with_where(fn: Any) -> Any:
    for option in reversed(_where):
        fn = option(fn)
    return fn


@click.group()
def hooks() -> None:
    """Claude Code hooks: the live guard against re-reads and failing retries."""


@hooks.command("install")
@click.option(
    "--agent", required=True, help="Agent name the recorded sessions and the effect are kept under."
)
@click.option("--strict", is_flag=True, help="Deny redundant calls (default: only tell the model).")
@click.option(
    "--server",
    default=None,
    metavar="URL",
    help="Also ship each session to this team server (token: SESSIONOPTIMIZER_INGEST_TOKEN in the agent's env).",
)
@_with_where
def install(
    agent: str,
    strict: bool,
    server: str | None,
    scope: str,
    target: str,
    settings_file: Path | None,
    write: bool,
) -> None:
    """Add the SessionOptimizer hook entries to Claude Code's settings.json."""
    from ..hooks.settings import hook_command, install_entries, load_settings
    from ..store._pg_connection import redact

    path = _settings_path(scope == "user", settings_file, target)
    old = load_settings(path)
    home = get_state().home
    codex = target == "codex"
    if server is not None and not _is_server_url(server):
        raise click.UsageError(f"--server must be an http:// or https:// URL with a host, got {server!r}")
    store = get_state().store_url  # --store / $SESSIONOPTIMIZER_STORE: where the hook imports transcripts
    if store and redact(store) != store:
        raise fail(
            "the store URL holds a password, and the hook command is saved in the settings file: "
            "put the password in ~/.pgpass or PGPASSWORD instead"
        )
    command = hook_command(
        agent=agent,
        home=str(home.expanduser().resolve()) if home else None,
        strict=strict,
        codex=codex,
        server=server,
        store=store,
    )
    new = install_entries(old, command, codex=codex)
    detail = {"settings": str(path.resolve()), "strict": strict, "target": target, "server": server}

    def record() -> None:
        get_state().optimizer().store.record_enablement(agent, "guard", detail=detail)

    old_text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not _apply(path, old_text, new, write, record) and write:
        record_enabled_once(agent, "guard", detail)  # already installed: complete a record that failed


@hooks.command("uninstall")
@_with_where
def uninstall(scope: str, target: str, settings_file: Path | None, write: bool) -> None:
    """Remove exactly the SessionOptimizer hook entries from Claude Code's settings.json."""
    from ..hooks.settings import load_settings, uninstall_entries

    path = _settings_path(scope == "user", settings_file, target)
    if not path.exists():
        click.echo(f"{path}: no such file, nothing to remove")
        return
    old = load_settings(path)

    def record() -> None:
        store = get_state().optimizer().store
        for agent in sorted(_agents_in(old)):
            store.record_enablement(
                agent, "guard", action="disabled", detail={"settings": str(path.resolve())}
            )

    _apply(path, path.read_text(encoding="utf-8"), uninstall_entries(old), write, record)


def _is_server_url(value: str) -> bool:
    """An absolute http(s) URL with a host (what ``import --server`` ships to)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and value.strip() == value
