"""Operations commands: ``serve`` (API + dashboard), ``monitor`` (the spec's monitoring loop) and ``doctor``."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import click

from ..errors import ConfigurationError, StoreError
from ._common import (
    escape,
    finite_seconds,
    format_option,
    get_state,
    new_table,
    parse_when,
    plain,
    print_json,
    stdout_console,
)
from ._style import score_text, severity_text
from ._written import LOSS_CAUSES


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Bind address (non-loopback needs --token)."
)
@click.option(
    "--port", "-p", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0 = any free."
)
@click.option(
    "--token", envvar="SESSIONOPTIMIZER_TOKEN", default=None, help="Require this token on every request."
)
@click.option("--poll-interval", type=click.FloatRange(0.05, 60), default=1.0, show_default=True, hidden=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in a web browser.")
@click.option("--ssl-certfile", default=None, help="Serve HTTPS with this certificate (PEM).")
@click.option("--ssl-keyfile", default=None, help="The certificate's private key (PEM).")
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Also accept this Host name (a TLS reverse proxy's public name); repeatable.",
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    default=None,
    help="Store URL (postgresql://... or sqlite:///path).",
)
def serve(
    host: str,
    port: int,
    token: str | None,
    poll_interval: float,
    open_browser: bool,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    allowed_hosts: tuple[str, ...] = (),
    store_url: str | None = None,
) -> None:
    """Serve the REST API, the live dashboard and the OTLP ingest of the team (prints the URL)."""
    try:
        from ..server import build_server, check_bind, url_for
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise click.ClickException(
            f"the server extra is missing ({exc}); pip install 'sessionoptimizer-sdk[server]'"
        ) from None
    from ..config import Settings
    from ..store import open_store

    state = get_state()
    store_url = store_url or state.store_url
    probe = open_store(store_url, Settings.from_env(state.home))
    try:
        read_tokens = probe.count_tokens("read")
    finally:
        probe.close()  # the app opens its own store; a PostgreSQL pool must not linger
    check_bind(host, token, read_tokens=read_tokens, proxied=bool(allowed_hosts))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_port = sock.getsockname()[1]
    state = get_state()
    server: Any = build_server(
        state.home,
        host=host,
        port=bound_port,
        token=token,
        poll_interval=poll_interval,
        read_tokens=read_tokens,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        allowed_hosts=allowed_hosts,
        store_url=store_url or state.store_url,
    )
    url = url_for(host, bound_port, token)
    if ssl_certfile:
        url = url.replace("http://", "https://", 1)
    click.echo(f"SessionOptimizer dashboard: {url}", err=False)
    base = url.split("?", 1)[0]
    click.echo(
        f"OTLP/HTTP ingest: {base}v1/traces, v1/logs and v1/metrics (see `sessionoptimizer connect`)",
        err=True,
    )
    click.echo("Press Ctrl+C to stop.", err=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    server.run(sockets=[sock])


@click.command()
@click.option(
    "--interval",
    type=click.FloatRange(1, 86_400),
    callback=finite_seconds,
    default=60.0,
    show_default=True,
    help="Seconds between passes.",
)
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@click.option(
    "--since", default="24h", show_default=True, help="Look at sessions started after this (30m, 7d, ISO)."
)
@format_option("text", "json")
def monitor(interval: float, once: bool, since: str, fmt: str) -> None:
    """Analyze ended sessions that have no report yet and raise alerts (the spec's automated monitoring)."""
    from ..alerts.engine import AlertEngine
    from ..analysis.config import AnalysisConfig
    from ..analysis.monitor import monitor_once
    from ..analysis.runner import rules_for
    from ..server import _queries as q

    parse_when(since)  # bad input exits 2 before the first pass (each pass reads it again, from its now)
    opt = get_state().optimizer()
    config = AnalysisConfig(monthly_budget_usd=opt.settings.monthly_budget_usd)
    engine = AlertEngine(opt.store, rules_for(config))
    console = stdout_console()
    while True:
        last_alert = q.max_alert_id(opt.store)
        busy: contextlib.AbstractContextManager[Any] = (
            console.status("analyzing finished sessions...") if fmt == "text" else contextlib.nullcontext()
        )
        try:
            with busy:
                reports = monitor_once(
                    opt.store, opt.settings.reports_dir, engine=engine, config=config, since=parse_when(since)
                )
        except StoreError as exc:  # --once: exit 1 (one error line); looping: say so and try the next pass
            if once:
                raise
            click.echo(f"warning: {exc}; next pass in {interval:g} s", err=True)
            time.sleep(interval)
            continue
        alerts = q.alerts_after(opt.store, last_alert)
        if fmt == "json":
            print_json(
                {
                    "analyzed": [
                        {"session_id": r.session_id, "efficiency_score": r.efficiency_score} for r in reports
                    ],
                    "alerts": [{k: v for k, v in a.items() if k != "payload"} for a in alerts],
                }
            )
        else:
            stamp = time.strftime("%H:%M:%S")
            console.print(f"{stamp} analyzed {len(reports)} session(s), raised {len(alerts)} alert(s)")
            for r in reports:
                line = score_text(r.efficiency_score)
                line.append(f"  {r.session_id} ({plain(r.agent)}) waste {r.total_waste_tokens:,}")
                console.print(line)
            for a in alerts:
                text = severity_text(str(a["priority"]))
                text.append(f" {a['rule']} {a['session_id']}: {plain(a['message'])}")
                console.print(text)
        if once:
            return
        time.sleep(interval)


def _pricing_info() -> dict[str, Any]:
    """The genai-prices version and the newest price change date in its bundled data."""
    import importlib.metadata
    import importlib.util
    import re
    from datetime import date

    info: dict[str, Any] = {}
    try:
        info["genai_prices"] = importlib.metadata.version("genai-prices")
        spec = importlib.util.find_spec("genai_prices.data")
        if spec is not None and spec.origin:
            with open(spec.origin, encoding="utf-8") as fh:
                found = re.findall(r"datetime\.date\((\d{4}), (\d{1,2}), (\d{1,2})\)", fh.read())
            today = date.today()
            past = [d for d in (date(int(y), int(m), int(d)) for y, m, d in found) if d <= today]
            if past:
                newest = max(past)
                info["newest_price_date"] = newest.isoformat()
                info["data_age_days"] = (today - newest).days
    except (importlib.metadata.PackageNotFoundError, OSError) as exc:
        info["error"] = str(exc)
    return info


def _loss_problems(counters: dict[str, int]) -> list[str]:
    """One line per cause of lost events, and for failed user callbacks and internal errors."""
    problems = [
        f"{counters[name]:,} event(s) lost: {cause}"
        for name, cause in LOSS_CAUSES.items()
        if counters.get(name)
    ]
    unexplained = counters.get("dropped_events", 0) - sum(
        n for k, n in counters.items() if k.startswith("dropped_") and k != "dropped_events"
    )
    if unexplained > 0:  # counted by a build that did not record the cause
        problems.append(f"{unexplained:,} event(s) lost (cause not recorded)")
    if counters.get("callback_failures"):
        problems.append(
            f"{counters['callback_failures']:,} report listener/notifier call(s) failed or timed out"
        )
    for name, n in sorted(counters.items()):
        if name.startswith(_UNDELIVERED) and n:
            cause = name[len(_UNDELIVERED) :].replace("_", " ")
            problems.append(f"{n:,} alert delivery(ies) failed: {cause}")
    if counters.get("internal_errors"):
        problems.append(f"{counters['internal_errors']:,} internal error(s) were swallowed (see the log)")
    return problems


_UNDELIVERED = (
    "alerts_undelivered_"  #: alert engine counters, one per cause (timeout, redirect, dropped_at_exit, ...)
)


def redact_url(value: str) -> str:
    """``value`` with any URL's password, query values and fragment shown as ``***`` (scheme, user, host kept).

    Non-URL values come back unchanged; a URL that cannot be parsed is hidden whole.
    """
    if "://" not in value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return "<set, hidden: not a valid URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}{':***' if colon else ''}@{hostport}"
    query = "&".join(
        f"{key}=***" if sep else "***"
        for key, sep, _ in (item.partition("=") for item in parts.query.split("&"))
        if key or sep
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, "***" if parts.fragment else ""))


@click.command()
@format_option("text", "json")
def doctor(fmt: str) -> None:
    """Check the installation: store, schema, file modes, queue/drop counters, OTLP settings, pricing data."""
    from .._version import __version__
    from ..processing._losses import side_file_counters

    opt = get_state().optimizer()
    info = opt.store.info()
    for name, n in side_file_counters(info["path"]).items():  # counts the store could not take (yet)
        info["counters"][name] = info["counters"].get(name, 0) + n
    info["path"] = redact_url(str(info["path"]))  # a PostgreSQL URL may carry ?password=...
    otel = {k: v for k, v in sorted(os.environ.items()) if k.startswith("OTEL_")}
    for key in list(otel):
        if "HEADERS" in key:
            otel[key] = "<set, hidden>"  # may hold API keys
        else:
            otel[key] = redact_url(otel[key])  # an endpoint may carry user:password@ or ?token=...
    report: dict[str, Any] = {
        "version": __version__,
        "home": str(opt.settings.home),
        "store": info,
        "settings": {
            "auto_analyze": opt.settings.auto_analyze,
            "capture_content": opt.settings.capture_content,
            "queue_size": opt.settings.queue_size,
            "flush_interval": opt.settings.flush_interval,
            "monthly_budget_usd": opt.settings.monthly_budget_usd,
        },
        "internal_errors": info["counters"].get("internal_errors", 0),
        "otlp": otel or {"exporter": "none (set OTEL_EXPORTER_OTLP_ENDPOINT to export spans)"},
        "pricing": _pricing_info(),
    }
    problems = []
    if info.get("backend", "sqlite") == "sqlite" and info.get("folder_mode") not in ("0o700",):
        problems.append(f"store folder mode is {info.get('folder_mode')}, expected 0o700")
    for name, f in info.get("files", {}).items():
        if f["mode"] not in ("0o600",):
            problems.append(f"{name} mode is {f['mode']}, expected 0o600")
    problems.extend(_loss_problems(info.get("counters", {})))
    replaced = info.get("counters", {}).get("store_file_replaced", 0)
    if replaced:
        problems.append(
            f"the store file was deleted or replaced {replaced} time(s) while in use; it was reopened, but events "
            "written just before each detection went to the old file (see docs/reliability.md)"
        )
    age = report["pricing"].get("data_age_days")
    if isinstance(age, int) and age > 180:
        problems.append(f"pricing data is {age} days old; upgrade genai-prices")
    report["problems"] = problems
    if fmt == "json":
        print_json(report)
        return
    table = new_table(show_header=False, title=f"sessionoptimizer {__version__}", title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("store", escape(info["path"]))
    table.add_row("schema version", str(info["schema_version"]))
    if "folder_mode" in info:
        table.add_row("folder mode", str(info["folder_mode"]))
    for name, f in info.get("files", {}).items():
        table.add_row(f"  {escape(name)}", f"{f['mode']}  {f['bytes']:,} bytes")
    table.add_row("sessions / events", f"{info['sessions']:,} / {info['events']:,}")
    counters = {"dropped_events": 0, **info.get("counters", {})}
    for name, value in sorted(counters.items()):
        table.add_row(f"counter {escape(name)}", f"{value:,}")
    table.add_row("internal errors (recording processes)", str(report["internal_errors"]))
    for key, value in report["settings"].items():
        table.add_row(key, str(value))
    for key, value in report["otlp"].items():
        table.add_row(escape(key), escape(str(value)))
    for key, value in report["pricing"].items():
        table.add_row(f"pricing {key}", escape(str(value)))
    console = stdout_console()
    console.print(table)
    if problems:
        for p in problems:
            console.print(f"[yellow]! {escape(p)}[/]")
    else:
        console.print("[green]No problems found.[/]")
