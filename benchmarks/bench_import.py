"""Import speed: Claude Code JSONL end to end (parse, store, analysis) next to ccusage on the same files.

Run: ``python benchmarks/bench_import.py [--mb 50] [--rounds 3] [--small-mb 10]``. Builds a transcript of ``--mb``
MB from a real one (ids made unique per copy) in a ``projects/`` folder, then per round, interleaved:

* ``SessionOptimizer.import_sessions`` in this process (parse, store, analysis and report file): MB per wall and
  per CPU second (CPU is the figure to read on a shared machine);
* ``sessionoptimizer import claude-code FILE`` as a fresh process (what a user waits for; the installed command,
  so the working folder is not on ``sys.path``), with bytecode cached as in an installed package (a private
  ``PYTHONPYCACHEPREFIX``: no recompiling in each process); its table on stdout, then again with ``--format json``
  (JSON out, as ccusage's ``--json``: no rich loaded);
* ``ccusage daily --json --offline`` as a fresh process reading the same folder (``CLAUDE_CONFIG_DIR``), installed
  from npm into a temporary folder (printed "skipped" with the reason where npm or the package is missing, or
  where it fails to run); both tools' token totals are printed to show they read the same data.

Each copy is moved an hour after the one before, as a real transcript moves forward in time. ``--interleaved``
builds the file of earlier runs instead: every copy repeats the source's times, so sorted by time the copies
interleave and the analysis reads each tool call repeated once per copy as a retry loop (no real transcript does
that; docs/decisions/import-speed.md, third pass).

Warm figures are medians of rounds 1..N, each process measured in the same round (ratios per round); round 0
(a new HOME: our per-token price table is built from genai-prices; ccusage's first launch; the file already in
the page cache, bytecode compiled beforehand as ``pip install`` does) is printed apart.

Also prints a re-import of the unchanged file (nothing read), the peak RSS of a small and a large import, and
``--many`` small transcripts imported at once (one session and report each: the per-session cost).
Targets: >= 100 MB/s end to end, and the fresh-process import within 2x of ccusage's time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CCUSAGE = (
    "ccusage@20.0.24"  # the newest release whose native linux-x64 binary is on npm here (20.0.26's is not)
)


def _shared() -> Path:
    """The shared reference material: ``$SESSIONOPTIMIZER_SHARED``, ``../shared`` or ``/work/shared``."""
    for candidate in (
        os.environ.get("SESSIONOPTIMIZER_SHARED", ""),
        str(ROOT.parent / "shared"),
        "/work/shared",
    ):
        if candidate and (Path(candidate) / "fixtures" / "sessions").is_dir():
            return Path(candidate)
    return ROOT.parent / "shared"


SOURCE = (
    _shared() / "fixtures" / "sessions" / "claude-code-sniffly" / "-Users-chip-dev-ai-music"
) / "d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl"


_TIMESTAMP = re.compile(r'"timestamp":"([^"]+)"')


def _later(copy: int) -> Callable[[re.Match[str]], str]:
    """A substitution moving a line's timestamp ``copy`` hours later (the source spans under an hour)."""

    def move(match: re.Match[str]) -> str:
        stamp = datetime.fromisoformat(match.group(1).replace("Z", "+00:00")) + timedelta(hours=copy)
        return f'"timestamp":"{stamp.strftime("%Y-%m-%dT%H:%M:%S")}.{stamp.microsecond // 1000:03d}Z"'

    return move


def build(path: Path, megabytes: float, *, ordered: bool = True) -> int:
    """Write copies of the real transcript (ids made unique per copy) until ``megabytes`` is reached.

    ``ordered`` (the default) moves each copy an hour after the one before, as a real transcript moves forward;
    without it every copy repeats the source's timestamps, so sorted by time the copies interleave (each tool call
    once per copy in a row: the analysis reports retry loops a real transcript would not have; docs/decisions/
    import-speed.md, third pass).
    """
    lines = SOURCE.read_text(encoding="utf-8").splitlines(keepends=True)
    target = int(megabytes * 1024 * 1024)
    written = copy = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            move = _later(copy)
            for line in lines:
                out = (
                    line.replace('"msg_', f'"msg_{copy}_')
                    .replace('"toolu_', f'"toolu_{copy}_')
                    .replace('"req_', f'"req_{copy}_')
                    .replace('"uuid":"', f'"uuid":"{copy}-')
                )
                if ordered:
                    out = _TIMESTAMP.sub(move, out)
                fh.write(out)
                written += len(out.encode())
            copy += 1
    return written


SMALL_SOURCE = SOURCE.parent / "fed8ce56-bc79-401f-a83e-af084253362f.jsonl"


def build_many(folder: Path, count: int) -> int:
    """``count`` copies of a small real transcript (18 KB), each its own session; returns the bytes written."""
    text = SMALL_SOURCE.read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for i in range(count):
        sid = f"aaaaaaaa-0000-4000-8000-{i:012d}"
        written += (folder / f"{sid}.jsonl").write_text(
            text.replace(SMALL_SOURCE.stem, sid), encoding="utf-8"
        )
    return written


def many_sessions(folder: Path, home: Path) -> float:
    """CPU seconds of ``import_sessions`` (parse, store, one report per session) over many small transcripts."""
    from sessionoptimizer_sdk import SessionOptimizer

    os.environ["SESSIONOPTIMIZER_AUTO_ANALYZE"] = "1"
    cpu = time.process_time()
    optimizer = SessionOptimizer(home)
    summary = optimizer.import_sessions("claude-code", folder)
    optimizer.shutdown()
    assert summary.sessions > 0, "the import wrote no session"
    return time.process_time() - cpu


def install_ccusage(folder: Path, spec: str) -> tuple[list[str] | None, str]:
    """Install ccusage from npm into ``folder``; return (command, "") or (None, why it is skipped)."""
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not installed"
    proc = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder), spec],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    binary = folder / "node_modules" / ".bin" / "ccusage"
    if proc.returncode != 0 or not binary.exists():
        return None, f"npm install {spec} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1][:160]}"
    return [str(binary), "daily", "--json", "--offline"], ""


def timed(cmd: list[str], env: dict[str, str], out: list[str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system, all threads) of a fresh process; fails loudly if it fails.

    ``out``, when given, receives the process's standard output.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr.strip()[-300:]}")
    if out is not None:
        out.append(proc.stdout)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ccusage_tokens(stdout: str) -> int:
    """All tokens ccusage counted (input + output + cache reads + cache writes) from its ``--json`` totals."""
    totals = json.loads(stdout)["totals"]
    keys = ("inputTokens", "outputTokens", "cacheReadTokens", "cacheCreationTokens")
    return sum(int(totals[k]) for k in keys)


def our_tokens(home: Path) -> int:
    """All tokens the import stored (input + output + cache reads + cache writes, every session)."""
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    store = SQLiteStore(home / "sessionoptimizer.db")
    try:
        rows = store.query(
            "SELECT sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens) FROM sessions"
        )
    finally:
        store.close()
    return int(rows[0][0] or 0)


def in_process(path: Path, home: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of ``SessionOptimizer.import_sessions`` (parse, store, analysis, report file) here."""
    from sessionoptimizer_sdk import SessionOptimizer

    os.environ["SESSIONOPTIMIZER_AUTO_ANALYZE"] = "1"
    start, cpu = time.perf_counter(), time.process_time()
    optimizer = SessionOptimizer(home)
    summary = optimizer.import_sessions("claude-code", path)
    optimizer.shutdown()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert summary.events > 0, "the import wrote no events"
    assert (home / "reports").is_dir(), "the import wrote no report"
    return elapsed, cpu


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


def parse_and_store(path: Path, home: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of ``import_paths`` alone (parse and store, no analysis) in this process."""
    from sessionoptimizer_sdk.importers.runner import import_paths
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    store = SQLiteStore(home / "so.db")
    start, cpu = time.perf_counter(), time.process_time()
    import_paths(store, "claude-code", [path])
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    store.close()
    return elapsed, cpu


def compare(work: Path, big: Path, size: int, rounds: int, spec: str | None) -> list[tuple[str, str]]:
    """Interleaved rounds of the in-process import, the CLI import and ccusage; the table rows."""
    env = {**os.environ, "HOME": str(work), "CLAUDE_CONFIG_DIR": str(work / "claude")}
    env.pop("SESSIONOPTIMIZER_AUTO_ANALYZE", None)
    # An installed package runs from bytecode (pip compiles it at install time). With PYTHONDONTWRITEBYTECODE set
    # (as on the CI/dev machines) every fresh process would recompile our ~150 modules (~0.1 CPU s), a cost no
    # user pays: the fresh processes get a private bytecode cache, filled by the warm-up round.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    ccusage, why = install_ccusage(work / "npm", spec) if spec else (None, "--no-ccusage")
    # the installed command, as a user runs it: ``python -m`` would put the working folder first on sys.path,
    # and a folder other processes write to (``/tmp``) defeats the plugin-scan cache (~15 - 20 ms a process)
    script = Path(sys.executable).with_name("sessionoptimizer")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "sessionoptimizer_sdk.cli"]
    cli = [*program, "import", "claude-code", str(big)]
    cli_json = [*program, "import", "claude-code", "--format", "json", str(big)]
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    fresh: list[tuple[float, float]] = []
    fresh_json: list[tuple[float, float]] = []
    startup: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    first: dict[str, tuple[float, float]] = {}
    printed: list[str] = []
    # compile the bytecode as ``pip install`` does (not timed), so round 0 is a first run in a new HOME: the
    # per-token price table is empty there, and genai-prices is loaded to fill it
    warm = "import genai_prices, sessionoptimizer_sdk.cli._app, sessionoptimizer_sdk.analysis.stored, "
    warm += "sessionoptimizer_sdk.analysis.runner, sessionoptimizer_sdk.importers.claude_code"
    subprocess.run([sys.executable, "-c", warm], env={**env, "HOME": str(work / "warm")}, check=True)
    for r in range(
        rounds + 1
    ):  # round 0 warms the page cache and both programs: reported apart as "first run"
        t_in = in_process(big, work / f"in{r}")
        t_bare = parse_and_store(big, work / f"bare{r}")
        t_cli = timed(cli, {**env, "SESSIONOPTIMIZER_HOME": str(work / f"cli{r}")})
        t_json = timed(cli_json, {**env, "SESSIONOPTIMIZER_HOME": str(work / f"json{r}")})
        t_up = timed([*program, "--version"], env)
        t_cc = None
        if ccusage:
            try:
                t_cc = timed(ccusage, env, printed)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                ccusage, why = None, f"{spec} did not run: {exc}"
        if not r:
            first["ours"] = t_cli
            if t_cc is not None:
                first["ccusage"] = t_cc
            continue
        ours.append(t_in)
        bare.append(t_bare)
        fresh.append(t_cli)
        fresh_json.append(t_json)
        startup.append(t_up)
        if t_cc is not None:
            theirs.append(t_cc)
    mb = size / 1_000_000

    def med(values: list[tuple[float, float]], i: int) -> float:
        return statistics.median(v[i] for v in values)

    analysis = statistics.median(a[1] - b[1] for a, b in zip(ours, bare, strict=True))
    rows = [
        (
            "import_paths in process (parse, store; no analysis)",
            f"{mb / med(bare, 0):.0f} MB/s wall, {mb / med(bare, 1):.0f} MB per CPU-s",
        ),
        (
            "import_sessions in process (parse, store, analysis, report file)",
            f"{mb / med(ours, 0):.0f} MB/s wall, {mb / med(ours, 1):.0f} MB per CPU-s",
        ),
        (
            "... of which analysis + report file (import_sessions - import_paths, CPU, same round)",
            f"{analysis:.3f} CPU s = {analysis / med(ours, 1):.0%} of the end-to-end CPU",
        ),
        (
            "`sessionoptimizer import claude-code FILE`, fresh process",
            f"{med(fresh, 0):.2f} s wall, {med(fresh, 1):.2f} s CPU = {mb / med(fresh, 1):.0f} MB/CPU-s",
        ),
        (
            "... of which interpreter + CLI start-up (`sessionoptimizer --version`)",
            f"{med(startup, 0):.2f} s wall, {med(startup, 1):.2f} s CPU",
        ),
        (
            "`sessionoptimizer import claude-code --format json FILE` (JSON out, as ccusage's `--json`)",
            f"{med(fresh_json, 0):.2f} s wall, {med(fresh_json, 1):.2f} s CPU = {mb / med(fresh_json, 1):.0f} MB/CPU-s",
        ),
    ]
    if theirs and len(theirs) == len(fresh):
        label = f"`ccusage daily --json --offline` ({spec}), fresh process"
        rows.append((label, f"{med(theirs, 0):.2f} s wall, {med(theirs, 1):.2f} s CPU"))
        for mine, output in ((fresh, "table"), (fresh_json, "JSON")):
            for i, what in ((0, "wall"), (1, "CPU")):
                ratio = statistics.median(a[i] / b[i] for a, b in zip(mine, theirs, strict=True))
                rows.append(
                    (
                        f"fresh-process import ({output} out) / ccusage, {what} time (same round, median)",
                        f"{ratio:.2f}x",
                    )
                )
        ours_first, theirs_first = first["ours"], first["ccusage"]
        rows.append(
            (
                "first run (round 0: new HOME, so genai-prices fills our price table; ccusage's first launch)",
                f"ours {ours_first[0]:.2f} s wall / {ours_first[1]:.2f} s CPU, ccusage {theirs_first[0]:.2f} / "
                f"{theirs_first[1]:.2f} = {ours_first[0] / theirs_first[0]:.2f}x wall, "
                f"{ours_first[1] / theirs_first[1]:.2f}x CPU",
            )
        )
        rows.append(
            (
                "same files: all tokens counted (input + output + cache reads + writes)",
                f"ours {our_tokens(work / f'cli{rounds}'):,}, ccusage {ccusage_tokens(printed[-1]):,}",
            )
        )
    else:
        rows.append(("ccusage", f"skipped: {why}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--small-mb", type=float, default=10.0)
    parser.add_argument("--many", type=int, default=400, help="small transcripts for the many-sessions row")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ccusage", default=CCUSAGE, help="npm package spec of ccusage")
    parser.add_argument("--no-ccusage", action="store_true")
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="every copy repeats the source's times (the file of runs before 2026-11-30 21:40)",
    )
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(ROOT))
    from sessionoptimizer_sdk.importers.runner import import_paths
    from sessionoptimizer_sdk.store.sqlite import SQLiteStore

    with tempfile.TemporaryDirectory(prefix="so-bench-import-") as tmp:
        work = Path(tmp)
        big = work / "claude" / "projects" / "-bench-project" / "a1b2c3d4-0000-4000-8000-000000000001.jsonl"
        small = work / "small" / "b2.jsonl"
        big.parent.mkdir(parents=True)
        small.parent.mkdir()
        size = build(big, args.mb, ordered=not args.interleaved)
        build(small, args.small_mb)
        rows = compare(work, big, size, args.rounds, None if args.no_ccusage else args.ccusage)
        store = SQLiteStore(work / "home" / "so.db")
        summary = import_paths(store, "claude-code", [big])
        start = time.perf_counter()
        again = import_paths(store, "claude-code", [big])
        re_elapsed = time.perf_counter() - start
        many = work / "many" / "-p"
        build_many(many, args.many)
        many_sessions(many, work / "m0")  # warm-up
        many_cpu = statistics.median(many_sessions(many, work / f"m{r + 1}") for r in range(args.rounds))
        rss_small = peak_rss(small, work / "h1")
        rss_big = peak_rss(big, work / "h2")
        mb = size / 1_000_000
        print(
            f"\n### Claude Code import, {mb:.0f} MB ({summary.lines:,} lines, {summary.events:,} events"
            f"{', copies interleaved' if args.interleaved else ''}), median of {args.rounds} rounds\n"
        )
        print("| measure | value |")
        print("|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
        print(f"| re-import (unchanged) | {re_elapsed * 1000:.1f} ms, {again.events} events |")
        print(f"| peak RSS, {args.small_mb:.0f} MB file | {rss_small:.0f} MB |")
        print(f"| peak RSS, {mb:.0f} MB file | {rss_big:.0f} MB |")
        print(
            f"| {args.many} small transcripts (18 KB each), import_sessions in process | {many_cpu:.2f} s CPU, "
            f"{many_cpu / args.many * 1000:.1f} ms per session |"
        )


if __name__ == "__main__":
    main()
