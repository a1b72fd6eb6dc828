"""Settings, and every ``SESSIONOPTIMIZER_*`` environment variable, in one place.

Explicit constructor arguments win over environment variables, which win over defaults. Invalid values raise
:class:`~sessionoptimizer_sdk.errors.ConfigurationError` at construction (misconfiguration fails fast; runtime
faults only log).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

__all__ = ["DEFAULT_QUEUE_SIZE", "ENV_VARS", "Settings"]

#: The one default writer queue size (``SESSIONOPTIMIZER_QUEUE_SIZE``); at least one writer batch.
DEFAULT_QUEUE_SIZE = 10_000

#: Upper bounds of the numeric settings: past them a value is a typo (or would overflow a timer or a count).
MAX_QUEUE_SIZE = 10_000_000
MAX_SECONDS = 86_400.0  #: flush interval and block timeout: one day
MAX_MONTHLY_BUDGET_USD = 1e12

#: Every environment variable read by SessionOptimizer, with what it sets.
ENV_VARS: Mapping[str, str] = {
    "SESSIONOPTIMIZER_HOME": "store folder (default ~/.sessionoptimizer)",
    "SESSIONOPTIMIZER_STORE": "store URL: postgresql://user@host:port/db or sqlite:///path (default SQLite in home)",
    "SESSIONOPTIMIZER_DEFAULT_MODEL": "model recorded when a session names none (default 'unknown')",
    "SESSIONOPTIMIZER_CAPTURE_CONTENT": "1 to record prompt/file/tool content (default off: sizes and hashes)",
    "SESSIONOPTIMIZER_FLUSH_INTERVAL": "seconds between background store writes (default 0.2)",
    "SESSIONOPTIMIZER_QUEUE_SIZE": "max events waiting for the writer before back-pressure (default 10000)",
    "SESSIONOPTIMIZER_BLOCK_TIMEOUT": "seconds a full queue makes the caller wait before counting a drop (5)",
    "SESSIONOPTIMIZER_MONTHLY_BUDGET": "team monthly budget in USD (default 60)",
    "SESSIONOPTIMIZER_AUTO_ANALYZE": "0 to skip analysis and reports when a session ends (default 1)",
    "SESSIONOPTIMIZER_LIVE_ANALYSIS": "0 to analyze only when a session ends: no live alerts (default 1)",
    "SESSIONOPTIMIZER_SIGTERM": "0 to leave SIGTERM alone (default 1: flush, then the default action)",
    "SESSIONOPTIMIZER_STRICT": "1 to raise internal errors instead of logging them (tests)",
}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={raw!r} is not a boolean (use 1 or 0)")


def _env_number(name: str, default: float, *, minimum: float, maximum: float) -> float:
    """The finite number in ``[minimum, maximum]`` that variable ``name`` holds, or ``default`` when unset."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value):  # NaN passes every comparison; infinity overflows timers and int()
        raise ConfigurationError(f"{name}={raw!r} is not a finite number")
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"{name}={raw!r} must be between {minimum:g} and {maximum:g}")
    return value


def _env_int(name: str, default: int, *, maximum: int) -> int:
    """The whole number in ``[1, maximum]`` that variable ``name`` holds (``1e4`` is fine, ``2.5`` is not)."""
    value = _env_number(name, float(default), minimum=1, maximum=maximum)
    if not value.is_integer():
        raise ConfigurationError(f"{name}={os.environ.get(name)!r} is not a whole number")
    return int(value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved configuration of one :class:`SessionOptimizer`."""

    home: Path
    default_model: str = "unknown"
    capture_content: bool = False
    flush_interval: float = 0.2
    queue_size: int = DEFAULT_QUEUE_SIZE
    block_timeout: float = 5.0
    monthly_budget_usd: float = 60.0
    auto_analyze: bool = True
    #: Keep each open session's analysis up to date for live alert rules (else: only when it ends).
    live_analysis: bool = True
    handle_sigterm: bool = True
    store_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.home / "sessionoptimizer.db"

    @property
    def reports_dir(self) -> Path:
        """Folder of ``<session_id>_report.json`` files, beside the database (the spec's layout)."""
        return self.home / "reports"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
        """Resolve settings from arguments, then ``SESSIONOPTIMIZER_*`` variables, then defaults."""
        raw_home = home if home is not None else os.environ.get("SESSIONOPTIMIZER_HOME")
        resolved = Path(raw_home).expanduser() if raw_home else Path.home() / ".sessionoptimizer"
        settings = cls(
            home=resolved,
            default_model=os.environ.get("SESSIONOPTIMIZER_DEFAULT_MODEL") or "unknown",
            capture_content=_env_bool("SESSIONOPTIMIZER_CAPTURE_CONTENT", False),
            flush_interval=_env_number(
                "SESSIONOPTIMIZER_FLUSH_INTERVAL", 0.2, minimum=0.001, maximum=MAX_SECONDS
            ),
            queue_size=_env_int("SESSIONOPTIMIZER_QUEUE_SIZE", DEFAULT_QUEUE_SIZE, maximum=MAX_QUEUE_SIZE),
            block_timeout=_env_number("SESSIONOPTIMIZER_BLOCK_TIMEOUT", 5.0, minimum=0, maximum=MAX_SECONDS),
            monthly_budget_usd=_env_number(
                "SESSIONOPTIMIZER_MONTHLY_BUDGET", 60.0, minimum=0, maximum=MAX_MONTHLY_BUDGET_USD
            ),
            auto_analyze=_env_bool("SESSIONOPTIMIZER_AUTO_ANALYZE", True),
            live_analysis=_env_bool("SESSIONOPTIMIZER_LIVE_ANALYSIS", True),
            handle_sigterm=_env_bool("SESSIONOPTIMIZER_SIGTERM", True),
            store_url=os.environ.get("SESSIONOPTIMIZER_STORE") or None,
        )
        unknown = set(overrides) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigurationError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings
