"""``python -m sessionoptimizer_sdk.cli`` runs the command line."""

from __future__ import annotations

from ._app import main

main()
