"""``token`` and ``connect``: the team server's tokens and the one command per agent machine."""

from __future__ import annotations

import json
import socket
import tomllib
from pathlib import Path

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.server.ingest.tokens import hash_secret
from sessionoptimizer_sdk.store import open_store


def test_token_create_list_revoke(run, tmp_path: Path, store_url: str):
    """On each backend, a token's secret is printed once, stored only hashed, listed without it, and revocable."""
    home = str(tmp_path / "h")
    result = run(
        "--home", home, "--store", store_url, "token", "create", "--agent", "FORGE", "--format", "json"
    )
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert (body["kind"], body["agent"]) == ("ingest", "FORGE")
    store = open_store(store_url, Settings.from_env(Path(home)))
    found = store.find_token(hash_secret(body["token"]))
    assert found is not None and found["id"] == body["id"]
    listed = run("--home", home, "--store", store_url, "token", "list", "--format", "json")
    assert body["token"] not in listed.stdout
    assert [t["id"] for t in json.loads(listed.stdout)["tokens"]] == [body["id"]]
    assert run("--home", home, "--store", store_url, "token", "revoke", body["id"]).exit_code == 0
    assert store.find_token(hash_secret(body["token"])) is None
    again = run("--home", home, "--store", store_url, "token", "revoke", body["id"])
    assert again.exit_code == 2
    store.close()


def test_token_create_needs_agent_or_read(run, tmp_path: Path):
    """``token create`` with neither --agent nor --read (or both) is a usage error (exit 2)."""
    assert run("--home", str(tmp_path), "token", "create").exit_code == 2
    assert run("--home", str(tmp_path), "token", "create", "--agent", "A", "--read").exit_code == 2


def test_connect_claude_code_write_merges_env_with_backup(run, tmp_path: Path):
    """``connect claude-code --write`` adds its env entries, keeps every other setting, and backs the file up."""
    settings = tmp_path / "settings.json"
    original = {"model": "opus", "env": {"FOO": "bar"}, "permissions": {"allow": ["Bash(ls)"]}}
    settings.write_text(json.dumps(original))
    result = run(
        "connect",
        "claude-code",
        "--server",
        "https://team.example:8765",
        "--agent",
        "CLIO",
        "--token",
        "so_i_x",
        "--write",
        "--settings-file",
        str(settings),
    )
    assert result.exit_code == 0, result.output
    written = json.loads(settings.read_text())
    assert written["model"] == "opus" and written["permissions"] == original["permissions"]
    assert written["env"]["FOO"] == "bar"
    assert written["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert written["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://team.example:8765"
    assert written["env"]["OTEL_EXPORTER_OTLP_HEADERS"] == "Authorization=Bearer so_i_x"
    host = socket.gethostname()
    assert written["env"]["OTEL_RESOURCE_ATTRIBUTES"] == f"sessionoptimizer.agent=CLIO,host.name={host}"
    backups = list(tmp_path.glob("settings.json.bak-*"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == original


def test_connect_prints_without_writing(run, tmp_path: Path):
    """Without --write, ``connect`` prints the lines and leaves the settings file alone."""
    settings = tmp_path / "settings.json"
    settings.write_text("{}")
    result = run("connect", "sdk", "--server", "http://10.0.0.5:8765", "--agent", "FORGE", "--token", "t")
    assert 'export OTEL_EXPORTER_OTLP_ENDPOINT="http://10.0.0.5:8765"' in result.stdout
    host = socket.gethostname()
    assert f'export OTEL_RESOURCE_ATTRIBUTES="sessionoptimizer.agent=FORGE,host.name={host}"' in result.stdout
    assert settings.read_text() == "{}"


def test_connect_codex_appends_otel_table_once(run, tmp_path: Path):
    """``connect codex --write`` appends a valid [otel] table after a backup, and refuses a second time."""
    config = tmp_path / "config.toml"
    config.write_text('model = "gpt-5-codex"\n')
    args = (
        "connect",
        "codex",
        "--server",
        "http://team:8765",
        "--agent",
        "BOLT",
        "--token",
        "so_i_y",
        "--write",
        "--settings-file",
        str(config),
    )
    assert run(*args).exit_code == 0
    parsed = tomllib.loads(config.read_text())
    assert parsed["model"] == "gpt-5-codex"
    http = parsed["otel"]["exporter"]["otlp-http"]
    assert http["endpoint"] == "http://team:8765/v1/logs"
    assert http["headers"]["Authorization"] == "Bearer so_i_y"
    assert run(*args).exit_code == 2  # an [otel] table exists: never overwritten


def test_connect_rejects_a_bad_server_url(run):
    """A server that is not an http(s) URL is a usage error."""
    assert run("connect", "sdk", "--server", "team:8765", "--agent", "A").exit_code == 2
