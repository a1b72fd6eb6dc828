"""Cost of the Claude Code hook per tool call, process start included, as Claude Code runs it (``sh -c``).

Run: ``python benchmarks/bench_hooks.py [--rounds 40] [--history 300]``. Each round runs every case once
(interleaved); a case is one ``sh -c COMMAND`` with the JSON payload on stdin, timed from spawn to exit. The
baseline is the same interpreter doing nothing (``python -S -c pass``) in the same round. CPU time (user +
system of the child processes) is reported too: it depends far less on how busy the machine is than wall time.
The state file holds ``--history`` earlier calls, so PreToolUse pays a realistic read of the session's
history. The hook modules are byte-compiled first, as a wheel install does (this checkout may run with
PYTHONDONTWRITEBYTECODE=1).
"""

from __future__ import annotations

import argparse
import compileall
import json
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_table, save

from sessionoptimizer_sdk.hooks.settings import hook_command


def _payload(event: str, project: Path, **extra: Any) -> str:
    base = {
        "session_id": "bench-session",
        "transcript_path": str(project / "none.jsonl"),
        "cwd": str(project),
        "permission_mode": "default",
        "hook_event_name": event,
        "tool_use_id": "toolu_bench",
    }
    return json.dumps({**base, **extra})


def _seed(home: Path, project: Path, history: int) -> None:
    """Write ``history`` earlier calls (reads of 50 files, edits, commands) into the session's state file."""
    state = home / "hooks" / "claude-code"
    state.mkdir(parents=True, mode=0o700)
    lines = []
    for i in range(history):
        path = str(project / f"f{i % 50}.py")
        if i % 3 == 0:
            lines.append({"turn": i + 1, "tool": "Bash", "id": f"t{i}", "command": f"pytest -k t{i % 7}"})
        elif i % 7 == 0:
            lines.append({"turn": i + 1, "tool": "Edit", "id": f"t{i}", "path": path})
        else:
            lines.append(
                {
                    "turn": i + 1,
                    "tool": "Read",
                    "id": f"t{i}",
                    "path": path,
                    "start": 1,
                    "end": 2000,
                    "version": "1:1",
                }
            )
    (state / "bench-session.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def _time(command: str, data: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child processes) of one invocation."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(["sh", "-c", command], input=data.encode(), capture_output=True, check=False, timeout=60)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="so-bench-hooks-"))
    project = home / "proj"
    project.mkdir()
    target = project / "f1.py"
    target.write_text("x = 1\n" * 500)
    _seed(home, project, args.history)
    import sessionoptimizer_sdk.hooks as hooks_pkg

    compileall.compile_dir(str(Path(hooks_pkg.__file__).parent), quiet=1)
    fast = hook_command(agent="BENCH", home=str(home), python=sys.executable)
    slow = shlex.join(
        [sys.executable, "-m", "sessionoptimizer_sdk.hooks", "--home", str(home), "--no-import"]
    )
    read = {"tool_name": "Read", "tool_input": {"file_path": str(target)}}
    cases = {
        "baseline: python -S -c pass": (shlex.join([sys.executable, "-S", "-c", "pass"]), "{}"),
        "PreToolUse Read (installed command)": (fast, _payload("PreToolUse", project, **read)),
        "PostToolUse Read (installed command)": (
            fast,
            _payload("PostToolUse", project, **read, tool_response={}),
        ),
        "PreToolUse Bash (installed command)": (
            fast,
            _payload("PreToolUse", project, tool_name="Bash", tool_input={"command": "pytest -k t1"}),
        ),
        "PreToolUse Read via python -m (package import)": (slow, _payload("PreToolUse", project, **read)),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, (command, data) in cases.items():
            wall, used = _time(command, data)
            samples[name].append(wall)
            cpu[name].append(used)
    base = samples["baseline: python -S -c pass"]
    rows: list[dict[str, Any]] = []
    for name, values in samples.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        rows.append(
            {
                "case": name,
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(_pct(values, 0.95) * 1000, 1),
                "median_ratio_to_baseline": round(statistics.median(ratios), 2),
                "cpu_p50_ms": round(statistics.median(cpu[name]) * 1000, 1),
                "cpu_p95_ms": round(_pct(cpu[name], 0.95) * 1000, 1),
            }
        )
    print_table(
        f"Hook cost per invocation, process start included ({args.rounds} rounds, {args.history} calls of history)",
        ["case", "wall p50 ms", "wall p95 ms", "x baseline (median of ratios)", "CPU p50 ms", "CPU p95 ms"],
        [
            [
                r[k]
                for k in ("case", "p50_ms", "p95_ms", "median_ratio_to_baseline", "cpu_p50_ms", "cpu_p95_ms")
            ]
            for r in rows
        ],
    )
    if args.save:
        save("bench_hooks", rows)
    return rows


if __name__ == "__main__":
    main()
