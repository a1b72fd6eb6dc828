"""REST API, live stream and dashboard (``sessionoptimizer serve``; needs the ``server`` extra).

Names load on first use so that ``server.serialize`` (used by the CLI) does not import Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .runner import build_server, check_bind, serve_in_thread, url_for
    from .service import DashboardService

__all__ = ["DashboardService", "build_server", "check_bind", "create_app", "serve_in_thread", "url_for"]

_WHERE = {
    "create_app": "app",
    "build_server": "runner",
    "check_bind": "runner",
    "url_for": "runner",
    "serve_in_thread": "runner",
    "DashboardService": "service",
}


def __getattr__(name: str) -> Any:
    """Import the public names lazily."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
