"""The spec's import name: ``from sessionoptimizer import SessionOptimizer`` is ``sessionoptimizer_sdk``'s API.

This module holds no code of its own; it re-exports the one public API so both names stay identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sessionoptimizer_sdk as _sdk
from sessionoptimizer_sdk import __all__ as __all__
from sessionoptimizer_sdk import __version__ as __version__

if TYPE_CHECKING:
    from sessionoptimizer_sdk import *  # noqa: F403


def __getattr__(name: str) -> Any:
    """Forward every public name to ``sessionoptimizer_sdk`` (loaded on first use there, as here)."""
    return getattr(_sdk, name)


def __dir__() -> list[str]:
    """Every public name."""
    return sorted(set(globals()) | set(__all__))
