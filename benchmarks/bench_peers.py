"""Peers on the same decorated function: Langfuse, OpenLLMetry/Traceloop, Logfire, AgentOps, OpenLIT.

Run: ``python benchmarks/bench_peers.py [--n 3000] [--rounds 7]``. Each peer gets its own virtualenv (created on
first use under ``--venvs``, default ``$TMPDIR/sessionoptimizer-bench-peers``, with one ``pip install`` of this
checkout and the peer, so pip picks versions that fit both; the peers cannot all be installed beside each other
or beside the dev extra; OpenLIT and Traceloop get one OpenTelemetry release train as pip constraints, see
``OTEL_TRAIN``). In it, a subprocess measures the peer next to a plain OTel span and SessionOptimizer's
``@tool`` in the same process and rounds, and reports ratios to that span: ratios from different processes are
comparable, microseconds are not. Every peer is kept offline: exporters disabled or pointed at a closed local
port. A peer that cannot be installed, imported or kept offline is reported skipped with the reason.
``--in-place`` measures the peers installed in the current interpreter instead.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Case, measure, otel_provider, print_table, quiet_env, save, summarize

CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused at once
OTEL = "otel span"
SO = "SessionOptimizer @tool (active session)"
SO_CALLER = "SessionOptimizer @tool (active session), caller thread"
PEERS = ("langfuse", "traceloop", "logfire", "agentops", "openlit")
ROOT = Path(__file__).resolve().parents[1]
#: What each peer's virtualenv installs next to this checkout: exact versions (the offline set-up below is written
#: for them, and an open range makes pip backtrack through dozens of releases of the peers' pinned dependencies).
REQUIREMENT = {
    "langfuse": "langfuse==5.0.4",
    "traceloop": "traceloop-sdk==0.62.4",
    "logfire": "logfire==5.4.0",
    "agentops": "agentops==0.4.21",
    "openlit": "openlit==1.45.0",
}
#: One OpenTelemetry release train for the peers whose open ranges over dozens of ``opentelemetry-instrumentation-*``
#: packages made pip backtrack into a conflict: this package index does not carry every instrumentation at the
#: newest contrib release (no ``opentelemetry-instrumentation-aiohttp-client==0.66b2``), and pip gave up after
#: mixing releases. With the train pinned (SDK 1.45.1, contrib 0.66b1: all present) both resolve in one pass.
OTEL_TRAIN = (
    "opentelemetry-api==1.45.1",
    "opentelemetry-sdk==1.45.1",
    "opentelemetry-proto==1.45.1",
    "opentelemetry-exporter-otlp==1.45.1",
    "opentelemetry-exporter-otlp-proto-http==1.45.1",
    "opentelemetry-exporter-otlp-proto-grpc==1.45.1",
    "opentelemetry-exporter-otlp-proto-common==1.45.1",
    "opentelemetry-semantic-conventions==0.66b1",
    "opentelemetry-instrumentation==0.66b1",
    "opentelemetry-util-http==0.66b1",
)
CONSTRAINTS = {"openlit": OTEL_TRAIN, "traceloop": OTEL_TRAIN}
#: Imported by the peer but missing from its declared dependencies (traceloop-sdk 0.62.4 imports httpx).
EXTRA = {"traceloop": ("httpx",)}


def work(x: int) -> int:
    return x + 1


class Skip(Exception):
    """A peer that cannot be measured here, with the reason."""


def _langfuse() -> Callable[[int], Any]:
    os.environ.update(
        LANGFUSE_PUBLIC_KEY="pk-lf-bench",
        LANGFUSE_SECRET_KEY="sk-lf-bench",
        LANGFUSE_HOST=CLOSED,
        LANGFUSE_BASE_URL=CLOSED,
    )
    try:
        from langfuse import Langfuse, observe
    except ImportError as exc:
        raise Skip(f"not installed ({exc})") from None
    Langfuse(public_key="pk-lf-bench", secret_key="sk-lf-bench", host=CLOSED)
    return observe(name="work")(work)


def _traceloop() -> Callable[[int], Any]:
    try:
        from traceloop.sdk import Traceloop  # type: ignore[import-not-found]
        from traceloop.sdk.decorators import tool  # type: ignore[import-not-found]
    except ImportError as exc:
        raise Skip(f"not installed ({exc})") from None
    Traceloop.init(app_name="bench", api_endpoint=CLOSED, disable_batch=False, telemetry_enabled=False)
    return tool(name="work")(work)  # type: ignore[no-any-return]


def _logfire() -> Callable[[int], Any]:
    try:
        import logfire
    except ImportError as exc:
        raise Skip(f"not installed ({exc})") from None
    logfire.configure(send_to_logfire=False, console=False, inspect_arguments=False)
    return logfire.instrument("work")(work)


def _agentops() -> Callable[[int], Any]:
    try:
        import agentops  # type: ignore[import-not-found]
        from agentops.sdk.decorators import tool  # type: ignore[import-not-found]
    except ImportError as exc:
        raise Skip(f"not installed, or a version without the OTel-based @tool ({exc})") from None
    agentops.init(api_key="00000000-0000-0000-0000-000000000000", endpoint=CLOSED, auto_start_session=False)
    return tool(work)  # type: ignore[no-any-return]


def _openlit() -> Callable[[int], Any]:
    try:
        import openlit  # type: ignore[import-not-found]
    except ImportError as exc:
        raise Skip(f"not installed ({exc})") from None
    openlit.init(otlp_endpoint=CLOSED, disable_metrics=True, collect_gpu_stats=False)
    return openlit.trace(work)  # type: ignore[no-any-return]


SETUP = {
    "langfuse": _langfuse,
    "traceloop": _traceloop,
    "logfire": _logfire,
    "agentops": _agentops,
    "openlit": _openlit,
}
LABEL = {
    "langfuse": "Langfuse @observe",
    "traceloop": "OpenLLMetry/Traceloop @tool",
    "logfire": "Logfire @instrument",
    "agentops": "AgentOps @tool",
    "openlit": "OpenLIT @trace",
}


def _loop(fn: Callable[[int], Any]) -> Callable[[int], None]:
    def run(n: int) -> None:
        for i in range(n):
            fn(i)

    return run


def _pip_reason(output: str) -> str:
    """The first conflict pip names (more telling than its closing "ResolutionImpossible"), or its last error."""
    lines = [ln.strip() for ln in output.splitlines() if not ln.startswith("WARNING: Location")]
    if "The conflict is caused by:" in lines:
        start = lines.index("The conflict is caused by:") + 1
        return "; ".join(lines[start : start + 3])[:300]
    errors = [ln for ln in lines if ln.startswith("ERROR")] or lines or ["?"]
    return errors[-1][:300]


def peer_home(peer: str, folder: Path) -> Path:
    """Where ``peer``'s virtualenv lives (its name changes with what it installs and with this Python)."""
    spec = " ".join((REQUIREMENT[peer], *EXTRA.get(peer, ()), *CONSTRAINTS.get(peer, ())))
    key = hashlib.sha256(f"{spec} {sys.version}".encode()).hexdigest()[
        :10
    ]  # old names kept for peers w/o pins
    return folder / f"{peer}-{key}"


def peer_python(peer: str, folder: Path, *, retry: bool = False) -> tuple[Path | None, str]:
    """The interpreter of ``peer``'s virtualenv, created and filled on first use; (None, why) if pip fails."""
    pins = CONSTRAINTS.get(peer, ())
    extra = EXTRA.get(peer, ())
    home = peer_home(peer, folder)
    python = home / "bin" / "python"
    if (home / ".complete").exists():
        return python, ""
    if (home / ".failed").exists() and not retry:  # resolving again takes minutes and fails the same way
        return None, (home / ".failed").read_text().strip() + " (cached; --retry-install to try again)"
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    constraints: list[str] = []
    if pins:
        (home / "constraints.txt").write_text("\n".join(pins) + "\n")
        constraints = ["-c", str(home / "constraints.txt")]
    # The peer first (its exact pins win), then this checkout into what the peer brought: resolving both at once
    # backtracks for many minutes over the peers' dozens of pinned instrumentation packages.
    for what in ([REQUIREMENT[peer], *extra], [str(ROOT)]):
        cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *constraints, *what]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        if proc.returncode != 0:
            why = f"pip could not install {' '.join(what)} here: {_pip_reason(proc.stdout + proc.stderr)}"
            (home / ".failed").write_text(why + "\n")
            return None, why
    (home / ".complete").write_text(REQUIREMENT[peer] + "\n")
    return python, ""


def peer_version(peer: str) -> str:
    """The installed distribution version of ``peer`` (in the measuring process)."""
    from importlib.metadata import PackageNotFoundError, version

    dist = REQUIREMENT[peer].split("=")[0]
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def own_cases(opt: Any, provider: Any) -> list[Case]:
    """The plain OTel span and our ``@tool`` in a session (until committed; caller's thread only), interleaved."""
    tracer = provider.get_tracer("bench")
    tool = opt.tool(work)

    def otel(x: int) -> int:
        with tracer.start_as_current_span("execute_tool work") as span:
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", "work")
            span.set_attribute("bench.arg", x)
            return work(x)

    holder: list[Any] = []

    def enter() -> None:
        holder.append(opt.session("bench", "peers benchmark", model="m"))
        holder[-1].__enter__()

    def leave() -> None:
        holder.pop().__exit__(None, None, None)

    def flush_and_leave() -> None:
        opt.flush(60)
        leave()

    return [
        Case(OTEL, _loop(otel), finish=provider.force_flush),
        Case(SO, _loop(tool), baseline=OTEL, finish=lambda: opt.flush(60), setup=enter, teardown=leave),
        # the caller's thread only: the writer's backlog is flushed after the clock stops (untimed)
        Case(SO_CALLER, _loop(tool), baseline=OTEL, setup=enter, teardown=flush_and_leave),
    ]


def child(peer: str, n: int, rounds: int) -> dict[str, Any]:
    """Measure one peer next to the OTel span and SessionOptimizer in this process."""
    quiet_env()
    from sessionoptimizer_sdk import SessionOptimizer

    provider, _ = otel_provider()
    opt = SessionOptimizer()  # before the peer: our private provider, not a peer's global one
    cases = own_cases(opt, provider)
    try:
        peer_fn = SETUP[peer]()
    except Skip as exc:
        return {"peer": peer, "skipped": str(exc)}
    except Exception as exc:
        return {"peer": peer, "skipped": f"could not be configured offline: {exc!r}"}
    cases.append(Case(LABEL[peer], _loop(peer_fn), baseline=OTEL))
    measure(cases, n, rounds)
    rows = summarize(cases)
    opt.shutdown(30)
    return {"peer": peer, "rows": rows, "version": peer_version(peer)}


def run_peer(peer: str, python: str, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one peer in a fresh process of ``python``; a failure becomes a skipped row."""
    env = {**os.environ, "OTEL_SDK_DISABLED": "false", "NO_PROXY": "*", "DO_NOT_TRACK": "1"}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, the virtualenv's dependencies (installed with it)
    cmd = [python, __file__, "--child", peer, "--n", str(args.n), "--rounds", str(args.rounds)]
    with tempfile.TemporaryDirectory(prefix="so-bench-peer-") as cwd:  # peers write logs into the cwd
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=900, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"peer": peer, "skipped": f"benchmark process failed: {tail[:200]}"}
    return dict(json.loads(lines[-1]))


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument(
        "--venvs", type=Path, default=Path(tempfile.gettempdir()) / "sessionoptimizer-bench-peers"
    )
    parser.add_argument(
        "--in-place", action="store_true", help="use the peers installed here, no virtualenvs"
    )
    parser.add_argument("--retry-install", action="store_true", help="retry virtualenvs whose install failed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.n, args.rounds)))
        return []
    results = []
    for peer in args.peers.split(","):
        python, why = (
            (Path(sys.executable), "")
            if args.in_place
            else peer_python(peer, args.venvs, retry=args.retry_install)
        )
        if python is None:
            results.append({"peer": peer, "skipped": why})
            continue
        results.append(run_peer(peer, str(python), args))
    table = []
    for res in results:
        if "skipped" in res:
            table.append((LABEL[res["peer"]], "-", "-", "-", "-", "-", f"skipped: {res['skipped']}"))
            continue
        rows = {r["case"]: r for r in res["rows"]}
        so, caller, peer_row = rows[SO], rows.get(SO_CALLER), rows[LABEL[res["peer"]]]
        table.append(
            (
                f"{peer_row['case']} ({res.get('version', '?')})",
                peer_row["us"],
                f"{peer_row['ratio']:.2f}x",
                f"{caller['ratio']:.2f}x" if caller else "-",
                f"{so['ratio']:.2f}x",
                f"{peer_row['ratio'] / caller['ratio']:.1f}x" if caller else "-",
                f"{peer_row['ratio'] / so['ratio']:.1f}x",
            )
        )
    print_table(
        f"Peers: per decorated call, median of {args.rounds} rounds x {args.n} calls, ratios to a plain OTel span "
        "measured in the same process (one virtualenv per peer)",
        [
            "peer (version)",
            "us/call",
            "peer / otel span",
            "SessionOptimizer / otel span: caller thread",
            "SessionOptimizer / otel span: until committed",
            "peer / SessionOptimizer: caller thread",
            "peer / SessionOptimizer: until committed (or skipped: why)",
        ],
        table,
    )
    if args.save:
        save("peers", results)
    return results


if __name__ == "__main__":
    main()
