"""Import throughput and memory: a synthetic Claude Code transcript built from a real one, single core.

Run: .venv/bin/python benchmarks/bench_import.py [--mb 50] [--small-mb 10]
Prints MB/min for a full import, a re-import (idempotence check: nothing read) and peak RSS of child processes
importing a small and a large file (flat memory means the two peaks are close).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (
    ROOT / ".." / "shared" / "fixtures" / "sessions" / "claude-code-sniffly" / "-Users-chip-dev-ai-music"
).resolve() / "d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl"


def build(path: Path, megabytes: float) -> int:
    """Write copies of the real transcript (ids made unique per copy) until ``megabytes`` is reached."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines(keepends=True)
    target = int(megabytes * 1024 * 1024)
    written = copy = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            for line in lines:
                out = (
                    line.replace('"msg_', f'"msg_{copy}_')
                    .replace('"toolu_', f'"toolu_{copy}_')
                    .replace('"req_', f'"req_{copy}_')
                    .replace('"uuid":"', f'"uuid":"{copy}-')
                )
                fh.write(out)
                written += len(out.encode())
            copy += 1
    return written


def child(path: str, home: str) -> None:
    """Import one file and print the peak RSS in MB (run in a fresh process)."""
    sys.path.insert(0, str(ROOT))
    from sessionoptimizer_sdk.importers.runner import import_paths
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    import_paths(SQLiteStore(Path(home) / "so.db"), "claude-code", [Path(path)])
    print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def peak_rss(path: Path, home: Path) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(home)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["peak_rss_mb"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--small-mb", type=float, default=10.0)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(ROOT))
    from sessionoptimizer_sdk.importers.runner import import_paths
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        big, small = work / "big" / "a1.jsonl", work / "small" / "b2.jsonl"
        big.parent.mkdir()
        small.parent.mkdir()
        size = build(big, args.mb)
        build(small, args.small_mb)
        store = SQLiteStore(work / "home" / "so.db")
        start = time.perf_counter()
        summary = import_paths(store, "claude-code", [big])
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        again = import_paths(store, "claude-code", [big])
        re_elapsed = time.perf_counter() - start
        mb = size / 1024 / 1024
        rss_small = peak_rss(small, work / "h1")
        rss_big = peak_rss(big, work / "h2")
        print("| measure | value |")
        print("|---|---|")
        print(f"| transcript size | {mb:.1f} MB, {summary.lines:,} lines |")
        print(
            f"| full import | {elapsed:.1f} s = {mb / elapsed * 60:.0f} MB/min ({summary.events:,} events) |"
        )
        print(f"| re-import (unchanged) | {re_elapsed * 1000:.1f} ms, {again.events} events |")
        print(f"| peak RSS, {args.small_mb:.0f} MB file | {rss_small:.0f} MB |")
        print(f"| peak RSS, {mb:.0f} MB file | {rss_big:.0f} MB |")


if __name__ == "__main__":
    main()
