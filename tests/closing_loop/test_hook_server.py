"""The hook's team-server path: SessionEnd ships the transcript's session to the server with the env's token."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from sessionoptimizer_sdk.hooks.settings import hook_command
from sessionoptimizer_sdk.server.ingest import IngestConfig
from sessionoptimizer_sdk.server.ingest.tokens import new_token
from sessionoptimizer_sdk.server.runner import serve_in_thread
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.closing_loop.test_hook_process import _REAL


@pytest.mark.skipif(not _REAL.is_file(), reason="shared fixtures not present")
def test_session_end_ships_the_session_to_the_team_server(tmp_path: Path) -> None:
    """A hook installed with --server ships the ended session to a token-guarded server; no secret in settings."""
    server_home, local_home = tmp_path / "server", tmp_path / "agent"
    config = IngestConfig(require_tokens=True)
    with serve_in_thread(server_home, poll_interval=0.2, ingest=config, public=True) as url:
        server_store = SQLiteStore(server_home / "sessionoptimizer.db")
        _, secret = new_token(server_store, "ingest", "CLAUDE")
        command = hook_command(agent="CLAUDE", home=str(local_home), server=url.split("?", 1)[0])
        assert secret not in command and "--server" in command
        payload = {
            "session_id": _REAL.stem,
            "transcript_path": str(_REAL),
            "cwd": str(tmp_path),
            "hook_event_name": "SessionEnd",
            "reason": "exit",
        }
        env = {**os.environ, "SESSIONOPTIMIZER_INGEST_TOKEN": secret}
        env.pop("SESSIONOPTIMIZER_HOOK_RAISE", None)
        done = subprocess.run(
            ["sh", "-c", command],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert (done.returncode, done.stdout) == (0, "")
        deadline = time.monotonic() + 120
        session = None
        while time.monotonic() < deadline and (session is None or session.event_count == 0):
            time.sleep(0.5)
            session = server_store.find_session(_REAL.stem)
        assert session is not None and session.agent == "CLAUDE"
        assert session.event_count > 0
        local = SQLiteStore(local_home / "sessionoptimizer.db").get_session(_REAL.stem)
        assert (session.event_count, session.tokens) == (local.event_count, local.tokens)  # full precision


def test_install_refuses_a_server_that_is_not_a_url(tmp_path: Path) -> None:
    """``hooks install --server`` with something that is not an http(s) URL is a usage error; nothing written."""
    settings = tmp_path / "settings.json"
    done = subprocess.run(
        [
            "sessionoptimizer",
            "--home",
            str(tmp_path / "h"),
            "hooks",
            "install",
            "--agent",
            "CLAUDE",
            "--server",
            "team-server:8765",
            "--settings",
            str(settings),
            "--write",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--server must be an http" in done.stderr
    assert not settings.exists()
