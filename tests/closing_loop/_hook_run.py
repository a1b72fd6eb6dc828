"""Run an installed hook command as Claude Code and Codex do: ``sh -c COMMAND`` with the JSON payload on stdin."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any


def run_hook(command: str, payload: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """The finished hook process (the test's fault-raising switch removed from its environment)."""
    env = {k: v for k, v in os.environ.items() if k != "SESSIONOPTIMIZER_HOOK_RAISE"}
    return subprocess.run(
        ["sh", "-c", command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
