"""``sessionoptimizer connect``: the settings that point one agent machine at the team server.

Prints them by default; ``--write`` merges them into the agent's own settings file after a backup, touching
only the keys it owns (Claude Code: ``env`` entries in ``settings.json``; Codex: an ``[otel]`` table).
"""

from __future__ import annotations

import json
import os
import socket
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import click

from ._advise_cmds import backup_copy, write_atomically
from ._common import fail

__all__ = ["connect"]

_TOKEN_PLACEHOLDER = "<INGEST_TOKEN>"


def _server(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail(f"--server must be an http(s) URL like https://team.example:8765, got {url!r}")
    return url.rstrip("/")


def _agent(name: str) -> str:
    if not name.strip() or any(ch in name for ch in ",=\n\r\t"):
        raise fail(f"invalid agent name {name!r}: no commas, '=' or control characters")
    return name.strip()


def _resource(agent: str) -> str:
    """Resource attributes naming the agent and this machine (the OTel Python SDK detects no host name)."""
    host = socket.gethostname().replace(",", "-").replace("=", "-")
    return f"sessionoptimizer.agent={agent},host.name={host}"


def claude_code_env(server: str, agent: str, token: str) -> dict[str, str]:
    """The environment Claude Code needs to send its log events to the server (with tool details)."""
    return {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": server,
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {token}",
        "OTEL_RESOURCE_ATTRIBUTES": _resource(agent),
        "OTEL_LOG_TOOL_DETAILS": "1",
        "OTEL_LOGS_EXPORT_INTERVAL": "2000",
    }


def sdk_env(server: str, agent: str, token: str) -> dict[str, str]:
    """The environment an SDK agent needs to export its spans to the server (it keeps recording locally)."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": server,
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {token}",
        "OTEL_RESOURCE_ATTRIBUTES": _resource(agent),
    }


def codex_otel_toml(server: str, token: str) -> str:
    """The ``[otel]`` table of Codex's ``config.toml`` (the token names the agent: Codex sets service.name)."""
    endpoint = json.dumps(f"{server}/v1/logs")
    header = json.dumps(f"Bearer {token}")
    return (
        "[otel]\n"
        "log_user_prompt = false\n"
        f'exporter = {{ otlp-http = {{ endpoint = {endpoint}, protocol = "binary", '
        f'headers = {{ "Authorization" = {header} }} }} }}\n'
    )


#: Settings that hold an ingest token are written private, from the temporary file on.
_TOKEN_MODE = 0o600


def _backup(path: Path) -> Path | None:
    """A new backup of ``path`` beside it (never overwriting an earlier one); None when there is no file."""
    return backup_copy(path, path.name + ".bak-{stamp}", stamp_format="%Y%m%d%H%M%S")


def _write_claude(path: Path, env: dict[str, str]) -> Path | None:
    settings: dict[str, object] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8") or "{}")
        except ValueError as exc:
            raise fail(f"{path} is not valid JSON ({exc}); fix it or edit it by hand") from None
        if not isinstance(loaded, dict):
            raise fail(f"{path} is not a JSON object; edit it by hand")
        settings = loaded
    current = settings.get("env", {})
    if not isinstance(current, dict):
        raise fail(f'"env" in {path} is not an object; edit it by hand')
    backup = _backup(path)
    settings["env"] = {**current, **env}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n", mode=_TOKEN_MODE)
    return backup


def _write_codex(path: Path, table: str) -> Path | None:
    text = path.read_bytes().decode("utf-8") if path.exists() else ""  # bytes: CRLF lines stay as they are
    try:
        existing = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"{path} is not valid TOML ({exc}); edit it by hand") from None
    if "otel" in existing:
        raise fail(f"{path} already has an [otel] table; replace it by hand with the lines printed above")
    backup = _backup(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    gap = ("\n" if text and not text.endswith("\n") else "") + ("\n" if text else "")
    write_atomically(path, text + gap + table, mode=_TOKEN_MODE)
    return backup


@click.command()
@click.argument("kind", type=click.Choice(["claude-code", "codex", "sdk"]))
@click.option("--server", required=True, help="The team server's base URL (https://host:8765).")
@click.option("--agent", required=True, help="The agent name this machine records as (FORGE, ATLAS...).")
@click.option("--token", default=None, help="This agent's ingest token (`sessionoptimizer token create`).")
@click.option("--write", is_flag=True, help="Write the settings (Claude Code, Codex) after a backup.")
@click.option(
    "--settings-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Claude Code settings.json or Codex config.toml (default: the user's).",
)
def connect(
    kind: str, server: str, agent: str, token: str | None, write: bool, settings_file: Path | None
) -> None:
    """Print (or --write) what makes an agent on this machine report to the team server."""
    url, name, secret = _server(server), _agent(agent), token or _TOKEN_PLACEHOLDER
    if kind == "codex":
        table = codex_otel_toml(url, secret)
        click.echo(f"# ~/.codex/config.toml (the token's agent names the sessions: {name})")
        click.echo(table, nl=False)
        target = settings_file or Path(os.environ.get("CODEX_HOME", Path.home() / ".codex")) / "config.toml"
        if write:
            backup = _write_codex(target, table)
            click.echo(f"Wrote the [otel] table to {target}" + (f" (backup: {backup})" if backup else ""))
        return
    env = claude_code_env(url, name, secret) if kind == "claude-code" else sdk_env(url, name, secret)
    for key, value in env.items():
        click.echo(f"export {key}={json.dumps(value)}")
    if not write:
        return
    if kind == "sdk":
        raise fail("sdk: add the lines above to the agent's environment (nothing to write for --write)")
    target = settings_file or Path.home() / ".claude" / "settings.json"
    backup = _write_claude(target, env)
    click.echo(f"Wrote {len(env)} env entries to {target}" + (f" (backup: {backup})" if backup else ""))
