"""Import time: ``import sessionoptimizer_sdk`` next to ``import opentelemetry.sdk.trace`` and the peers' imports.

Run: ``python benchmarks/bench_startup.py [--rounds 9]``. Every import runs in a fresh interpreter (timed inside
it, so interpreter start-up is excluded); rounds are interleaved; figures are medians of per-round ratios to
``opentelemetry.sdk.trace`` measured in the same round. Every module is imported from its bytecode, as after a
``pip install`` (which compiles it): the children get a private ``PYTHONPYCACHEPREFIX`` filled by one untimed
warm-up import, whatever ``PYTHONDONTWRITEBYTECODE`` says (with it set, an editable checkout is compiled from
source on every import while site-packages have their ``.pyc``, which measured the compiler, not the import).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_table, save

BASELINE = "opentelemetry.sdk.trace"
#: Ready to record: the import plus ``SessionOptimizer()`` on a new store (schema, writer thread, provider).
READY = "sessionoptimizer_sdk:SessionOptimizer()"
#: What is timed: ``import X`` (peers), and for us both the bare import and the import that the first line of the
#: README runs (``from sessionoptimizer_sdk import SessionOptimizer``: the recording pipeline loads with it).
MODULES = (
    BASELINE,
    "sessionoptimizer_sdk",
    "sessionoptimizer_sdk:SessionOptimizer",
    READY,
    "langfuse",
    "logfire",
    "traceloop.sdk",
    "agentops",
    "openlit",
)
SNIPPET = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


#: The children's environment: bytecode read from (and written once to) a private cache, see the docstring.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {
    "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "sessionoptimizer-bench-pycache")
}


def _statement(module: str) -> str:
    if module == READY:
        return (
            "import tempfile; from sessionoptimizer_sdk import SessionOptimizer; "
            "SessionOptimizer(tempfile.mkdtemp())"
        )
    name, _, attr = module.partition(":")
    return f"from {name} import {attr}" if attr else f"import {name}"


def _label(module: str) -> str:
    if module == READY:
        return "`from sessionoptimizer_sdk import SessionOptimizer` + `SessionOptimizer()` (new store)"
    return f"`{_statement(module)}`"


def warm_up(modules: tuple[str, ...] = MODULES) -> None:
    """Import each module once, untimed, so that the timed imports read bytecode (written to ``ENV``'s cache)."""
    for module in modules:
        import_seconds(module)


def import_seconds(module: str) -> float | None:
    proc = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(stmt=_statement(module))],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=ENV,
    )
    return float(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    samples: dict[str, list[float | None]] = {m: [] for m in MODULES}
    warm_up()
    for _ in range(args.rounds):
        for module in MODULES:
            samples[module].append(import_seconds(module))
    rows: list[dict[str, Any]] = []
    base = [b or 0.0 for b in samples[BASELINE]]
    for module in MODULES:
        got = [s for s in samples[module] if s is not None]
        if len(got) != args.rounds:
            rows.append({"module": module, "ms": None, "ratio": None})
            continue
        ratios = [s / b for s, b in zip(got, base, strict=True)]
        rows.append(
            {"module": module, "ms": statistics.median(got) * 1000, "ratio": statistics.median(ratios)}
        )
    print_table(
        f"Import time, fresh interpreter, median of {args.rounds} rounds",
        ["statement", "ms", f"ratio to `import {BASELINE}`"],
        [
            (
                _label(r["module"]),
                r["ms"] if r["ms"] is not None else "-",
                f"{r['ratio']:.2f}x" if r["ratio"] is not None else "skipped: not installed",
            )
            for r in rows
        ],
    )
    if args.save:
        save("startup", rows)
    return rows


if __name__ == "__main__":
    main()
