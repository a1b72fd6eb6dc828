"""Private folders: every folder the SDK creates is 0700, the missing parents too, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["make_private_dirs"]


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and each missing ancestor with mode 0700; folders that already exist are left alone.

    ``Path.mkdir(parents=True, mode=0o700)`` applies the mode to the last folder only: under a umask of 000 the
    parents came out world-writable (0777), and anyone could replace the private store folder through them.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another process: keep its mode
            continue
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask; 0700 is what we promise
