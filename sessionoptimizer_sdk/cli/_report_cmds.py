"""Report commands: ``analyze`` (human view with coloured severities, or json/markdown/html) and ``export``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import escape, fail, format_option, get_state, new_table, print_document, stdout_console
from ._style import score_text, severity_text

if TYPE_CHECKING:
    from ..analysis import OptimizationReport


def _print_report(report: OptimizationReport) -> None:
    from ..reporting.formats._summary import cost_text, saving_text

    console = stdout_console()
    cost = cost_text(report)
    console.print(f"[bold]{escape(report.session_id)}[/]  {escape(report.agent)}: {escape(report.task)}")
    if report.scored:
        head = score_text(report.efficiency_score, provisional=report.provisional)
        head.append(f"  efficient{' (provisional: session still active)' if report.provisional else ''}")
        console.print(head)
    else:
        console.print("Efficiency: n/a (no model calls recorded)")
    t = report.totals
    console.print(
        f"Waste: {report.total_waste_tokens:,} tokens | cost {cost} | {report.event_count:,} events | "
        f"active {report.active_minutes:.1f} min of {report.wall_minutes:.1f}\n"
        f"Tokens: input {t.input_tokens:,}, cache read {t.cache_read_tokens:,}, "
        f"cache write {t.cache_write_tokens:,}, output {t.output_tokens:,} (reasoning {t.reasoning_tokens:,})"
    )
    for note in report.notes:
        console.print(f"[yellow]Note:[/] {escape(note)}")
    if report.issues:
        table = new_table(title="Issues", title_justify="left")
        table.add_column("Severity")
        table.add_column("Type")
        table.add_column("Waste", justify="right")
        table.add_column("Description", overflow="fold")
        for f in report.issues:
            table.add_row(
                severity_text(f.severity.value), f.type, f"{f.waste_tokens:,}", escape(f.description)
            )
        console.print(table)
    else:
        console.print("No waste found.")
    for i, r in enumerate(report.recommendations, 1):
        console.print(f"{i}. [bold]{escape(r.title)}[/] ({escape(saving_text(r))})\n   {escape(r.detail)}")
    for err in report.analyzer_errors:
        console.print(f"[yellow]analyzer {escape(err.analyzer)} failed: {escape(err.error)}[/]")


@click.command()
@click.argument("session_id")
@format_option("text", "json", "markdown", "html")
def analyze(session_id: str, fmt: str) -> None:
    """Analyze a session: efficiency score, issues with their waste, recommendations."""
    report = get_state().optimizer().analyze(session_id)
    if fmt == "text":
        _print_report(report)
        return
    from ..reporting import render

    print_document(render(report, fmt), fmt)


@click.command()
@click.argument("session_id")
@format_option("json", "markdown", "html", "text", default="json")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to FILE."
)
def export(session_id: str, fmt: str, output: Path | None) -> None:
    """Export a session's report (json, markdown, html or text) to stdout or a file."""
    text = get_state().optimizer().export_report(session_id, fmt)
    if output is None:
        print_document(text, fmt)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:  # no such folder, a folder, no permission: the path given is wrong (exit 2)
        raise fail(f"cannot write --output {str(output)!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:  # disk full or I/O error while writing: a failure (exit 1)
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"Wrote {output}", err=True)
