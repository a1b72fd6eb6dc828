"""FORGE's start-up script: run FORGE's command inside a recorded SessionOptimizer session (see startup.py)."""

from __future__ import annotations

import sys

from startup import main

if __name__ == "__main__":
    sys.exit(main("FORGE"))
