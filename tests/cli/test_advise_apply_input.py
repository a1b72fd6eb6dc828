"""`advise --apply FILE` reads only a small regular file: devices, FIFOs and huge files are refused (exit 2)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from sessionoptimizer_sdk.cli._advise_cmds import MAX_INSTRUCTIONS_BYTES


def test_apply_to_dev_zero_is_refused_without_reading_it(home: Path) -> None:
    """`advise A --apply /dev/zero` exits 2 at once (memory capped at 1.5 GB, so a regression fails, not OOMs)."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    result = subprocess.run(
        [sys.executable, "-m", "sessionoptimizer_sdk.cli", "advise", "ATLAS", "--apply", "/dev/zero"],
        env={**os.environ, "SESSIONOPTIMIZER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=cap_memory,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: /dev/zero is not a regular file\n"


def test_apply_to_a_fifo_is_refused(tmp_path: Path, run: Callable[..., Result]) -> None:
    """A FIFO (which would block the read forever) exits 2 naming it."""
    fifo = tmp_path / "CLAUDE.md"
    os.mkfifo(fifo)
    result = run("advise", "ATLAS", "--apply", str(fifo))
    assert result.exit_code == 2
    assert result.stderr == f"error: {fifo} is not a regular file\n"


def test_apply_to_a_file_over_1_mib_is_refused_and_left_alone(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    """A CLAUDE.md over 1 MiB exits 2 with one line and is not modified, even with --write."""
    target = tmp_path / "CLAUDE.md"
    content = b"#" * (1024 * 1024 + 1)
    target.write_bytes(content)
    result = run("advise", "ATLAS", "--apply", str(target), "--write")
    assert result.exit_code == 2
    assert result.stderr == f"error: {target} is larger than 1 MiB: not an instructions file\n"
    assert target.read_bytes() == content


def test_apply_to_a_file_of_exactly_1_mib_is_read(tmp_path: Path, run: Callable[..., Result]) -> None:
    """A file of exactly the limit is accepted (dry run: a diff, exit 0)."""
    assert MAX_INSTRUCTIONS_BYTES == 1024 * 1024
    target = tmp_path / "CLAUDE.md"
    target.write_bytes(b"x\n" * (512 * 1024))
    result = run("advise", "ATLAS", "--apply", str(target))
    assert result.exit_code == 0, result.stderr
    assert "dry run: nothing written" in result.stdout
