"""The root command imports a command's module only when that command runs (or ``--help`` lists them all)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
from click.testing import CliRunner

from sessionoptimizer_sdk.cli._app import COMMANDS, cli

#: The spec's commands plus the team, hooks and maintenance ones, as a user types them.
EXPECTED = {
    "start", "end", "log", "analyze", "stats", "compare", "export", "list", "show", "delete",
    "serve", "monitor", "doctor", "import", "advise", "hooks", "token", "connect", "migrate",
}  # fmt: skip


def test_every_lazy_entry_resolves_to_the_command_of_that_name() -> None:
    """Each table entry imports a click command whose own name is the one users type."""
    assert set(COMMANDS) == EXPECTED
    ctx = click.Context(cli)
    for name in sorted(EXPECTED):
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command), name
        assert command.name == name
    assert cli.get_command(ctx, "no-such-command") is None


def test_help_lists_every_command() -> None:
    """``sessionoptimizer --help`` shows all commands, loading them for their one-line help."""
    out = CliRunner().invoke(cli, ["--help"]).output
    listed = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.startswith("  ")}
    assert listed == EXPECTED


def test_import_command_loads_only_its_own_module(tmp_path: os.PathLike[str]) -> None:
    """``sessionoptimizer import --help`` in a fresh process leaves the other commands' modules unloaded."""
    code = (
        "import sys\n"
        "from sessionoptimizer_sdk.cli import main\n"
        "sys.argv = ['sessionoptimizer', 'import', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json\n"
        "print(json.dumps([m for m in sys.modules if m.startswith('sessionoptimizer_sdk.cli._')]))\n"
    )
    env = {**os.environ, "SESSIONOPTIMIZER_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    loaded = {m.rsplit(".", 1)[1] for m in json.loads(out.stdout.strip().splitlines()[-1])}
    assert "_import" in loaded
    assert not {"_ops_cmds", "_hooks_cmds", "_token_cmds", "_connect_cmds", "_advise_cmds"} & loaded
