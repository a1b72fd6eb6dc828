"""Rich styling of scores, severities and statuses (colour on a terminal, plain text when piped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is loaded with the first styled text: JSON output never loads it
    from rich.text import Text

__all__ = ["score_text", "severity_text", "status_text"]

_SEVERITY = {"HIGH": "bold red", "MEDIUM": "yellow", "LOW": "green"}
_STATUS = {"ACTIVE": "cyan", "COMPLETED": "green", "FAILED": "red", "ABANDONED": "yellow"}


def score_text(score: float | None, *, provisional: bool = False) -> Text:
    """An efficiency percentage, red below 70, yellow below 85, green above; ``*`` marks provisional."""
    from rich.text import Text

    if score is None:
        return Text("-", style="dim")
    style = "red" if score < 70 else "yellow" if score < 85 else "green"
    return Text(f"{score:.1f}%{'*' if provisional else ''}", style=style)


def severity_text(severity: str) -> Text:
    """A finding or alert severity in its colour."""
    from rich.text import Text

    return Text(severity, style=_SEVERITY.get(severity.upper(), ""))


def status_text(status: str) -> Text:
    """A session status in its colour."""
    from rich.text import Text

    return Text(status, style=_STATUS.get(status.upper(), ""))
