"""The spec's import name: ``from sessionoptimizer import SessionOptimizer`` is ``sessionoptimizer_sdk``'s API.

This module holds no code of its own; it re-exports the one public API so both names stay identical.
"""

from __future__ import annotations

from typing import Any

import sessionoptimizer_sdk as _sdk
from sessionoptimizer_sdk import *  # noqa: F403
from sessionoptimizer_sdk import __all__ as __all__
from sessionoptimizer_sdk import __version__ as __version__


def __getattr__(name: str) -> Any:
    """Forward lazily-loaded names (analysis types) to ``sessionoptimizer_sdk``."""
    return getattr(_sdk, name)
