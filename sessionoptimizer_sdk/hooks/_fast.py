"""The hook command Claude Code runs, by file path: loads ``hooks.runtime`` without the SDK's package import.

Running ``python .../sessionoptimizer_sdk/hooks/_fast.py`` would otherwise import ``sessionoptimizer_sdk``
(OpenTelemetry, the optimizer...) on every tool call. A bare namespace stands in for the parent package, so
only the stdlib-only ``hooks`` modules load (see benchmarks/bench_hooks.py for the difference).
"""

import os
import sys

if __name__ == "__main__":
    _pkg = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    sys.path[0:1] = []  # the script's folder is not a package root
    if "sessionoptimizer_sdk" not in sys.modules:
        _stub = type(sys)("sessionoptimizer_sdk")  # a bare module, without importing ``types``
        _stub.__path__ = [_pkg]
        sys.modules["sessionoptimizer_sdk"] = _stub
    from sessionoptimizer_sdk.hooks.runtime import main

    sys.exit(main())
