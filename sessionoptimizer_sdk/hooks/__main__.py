"""``python -m sessionoptimizer_sdk.hooks``: run one hook invocation (slower start than ``_fast.py``)."""

import sys

from .runtime import main

sys.exit(main())
