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
import importlib.util
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


#: The peers' import statements and their ``bench_peers.py`` names: a peer not installed here is timed in the
#: virtualenv ``bench_peers.py`` built for it (if any), against the OTel SDK import of that same virtualenv.
PEERS = {"langfuse": "langfuse", "logfire": "logfire", "traceloop.sdk": "traceloop", "agentops": "agentops"}
PEERS["openlit"] = "openlit"


def interpreter(module: str) -> str | None:
    """The Python that has ``module``: this one, or the peer's benchmark virtualenv; None if neither has it."""
    name = module.partition(":")[0]
    if name not in PEERS or importlib.util.find_spec(name.partition(".")[0]) is not None:
        return sys.executable
    import bench_peers

    home = bench_peers.peer_home(PEERS[name], Path(tempfile.gettempdir()) / "sessionoptimizer-bench-peers")
    return str(home / "bin" / "python") if (home / ".complete").exists() else None


def import_seconds(module: str, python: str = sys.executable) -> float | None:
    """Seconds ``module``'s import statement takes in a fresh ``python`` (None if it fails)."""
    proc = subprocess.run(
        [python, "-c", SNIPPET.format(stmt=_statement(module))],
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
    pythons = {m: interpreter(m) for m in MODULES}
    samples: dict[str, list[float | None]] = {m: [] for m in MODULES}
    bases: dict[str, list[float | None]] = {
        m: [] for m in MODULES
    }  # the baseline in the module's interpreter
    for module, python in pythons.items():  # untimed: bytecode for every module, in every interpreter used
        if python is not None:
            import_seconds(module, python)
            import_seconds(BASELINE, python)
    for _ in range(args.rounds):
        base_here = import_seconds(BASELINE)
        for module in MODULES:
            python = pythons[module]
            if python is None:
                continue
            here = python == sys.executable
            samples[module].append(
                base_here if here and module == BASELINE else import_seconds(module, python)
            )
            bases[module].append(base_here if here else import_seconds(BASELINE, python))
    rows: list[dict[str, Any]] = []
    for module in MODULES:
        got = [s for s in samples[module] if s is not None]
        base = [b for b in bases[module] if b is not None]
        if len(got) != args.rounds or len(base) != args.rounds:
            rows.append({"module": module, "ms": None, "ratio": None, "where": None})
            continue
        ratios = [s / b for s, b in zip(got, base, strict=True)]
        where = "this interpreter" if pythons[module] == sys.executable else "its benchmark virtualenv"
        rows.append(
            {
                "module": module,
                "ms": statistics.median(got) * 1000,
                "ratio": statistics.median(ratios),
                "where": where,
            }
        )
    print_table(
        f"Import time, fresh interpreter, median of {args.rounds} rounds",
        ["statement", "ms", f"ratio to `import {BASELINE}` (same interpreter, same round)", "measured in"],
        [
            (
                _label(r["module"]),
                r["ms"] if r["ms"] is not None else "-",
                f"{r['ratio']:.2f}x" if r["ratio"] is not None else "skipped: not installed",
                r["where"] or "-",
            )
            for r in rows
        ],
    )
    if args.save:
        save("startup", rows)
    return rows


if __name__ == "__main__":
    main()
