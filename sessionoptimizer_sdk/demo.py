"""A realistic three-agent demo through the real SDK: ``python -m sessionoptimizer_sdk.demo``.

FORGE plans on opus, ATLAS builds on sonnet (re-reading files, reading a big file whole), BOLT executes on
grok (free) and gets stuck retrying a failing build. Everything goes through decorated tools and
``session.log`` into the default store (``$SESSIONOPTIMIZER_HOME`` or ``~/.sessionoptimizer``), then the
reports are printed. Use ``--home DIR`` for another store.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from .models import EventType
from .optimizer import SessionOptimizer

__all__ = ["main", "run_demo"]

_SOURCE = {
    "renderer.py": "def render(frame):\n    return frame.draw()\n" * 700,  # ~10k tokens: read whole, twice
    "config.py": "DEBUG = False\nMAX_WORKERS = 4\n" * 40,
    "tests/test_renderer.py": "def test_render():\n    assert render(F) == 'ok'\n" * 60,
}


def run_demo(optimizer: SessionOptimizer) -> list[str]:
    """Record the demo's three sessions into ``optimizer``; return their ids."""

    @optimizer.tool("read_file", event_type=EventType.FILE_READ)
    def read_file(path: str) -> str:
        return _SOURCE[path]

    @optimizer.tool("edit_file", event_type=EventType.FILE_WRITE)
    def edit_file(path: str, new_text: str) -> int:
        return len(new_text)

    @optimizer.tool("pytest")
    def run_tests(target: str) -> str:
        return f"collected 12 items\n{target} ............ 12 passed"

    @optimizer.tool("make")
    def build(target: str) -> str:
        raise RuntimeError(f"make: *** No rule to make target '{target}'.  Stop.")

    ids = []
    with optimizer.session("FORGE", "Plan the renderer refactor", model="opus") as s:
        s.log(EventType.USER_MESSAGE, data={"chars": 420}, tokens_input=120)
        s.log(EventType.AI_RESPONSE, tokens_input=3_000, tokens_output=600, cache_write_tokens=12_000)
        s.log(EventType.THINKING, tokens_output=4_200)
        s.log(EventType.AI_RESPONSE, tokens_input=200, tokens_output=900, cache_read_tokens=15_000)
        s.log(EventType.THINKING, tokens_output=3_100)
        s.log(EventType.AI_RESPONSE, tokens_input=150, tokens_output=1_200, cache_read_tokens=16_500)
        ids.append(s.id)

    with optimizer.session("ATLAS", "Build the renderer refactor", model="sonnet") as s:
        context = 14_000
        s.log(EventType.AI_RESPONSE, tokens_input=2_000, tokens_output=300, cache_write_tokens=context)
        for step in range(6):
            if step in (0, 2, 4):
                read_file("renderer.py")  # read whole, three times, no edit in between until step 5
                context += 10_000
            if step == 1:
                read_file("config.py")
                s.log(
                    EventType.FILE_READ,
                    data={
                        "file_path": "/data/large.json",
                        "compressed": True,
                        "original_tokens": 9_000,
                        "compressed_tokens": 2_400,
                    },
                    tokens_input=2_400,
                )
            if step == 3:
                s.log(
                    EventType.ERROR,
                    data={
                        "message": "rm -rf build/: permission denied",
                        "tool": "bash",
                        "error_kind": "permission_denied",
                    },
                )
            if step == 5:
                edit_file("renderer.py", "def render(frame):\n    return frame.draw(fast=True)\n")
                run_tests("tests/test_renderer.py")
            s.log(
                EventType.AI_RESPONSE,
                tokens_input=300,
                tokens_output=700,
                cache_read_tokens=context,
                cache_write_tokens=10_000 if step in (0, 2, 4) else 0,
            )
        ids.append(s.id)

    with optimizer.session("BOLT", "Execute the release build", model="grok") as s:
        for _attempt in range(4):  # the same failing command, nothing changed in between: a retry loop
            with contextlib.suppress(RuntimeError):
                build("release")  # the decorated tool records the failure itself
            s.log(EventType.AI_RESPONSE, tokens_input=1_500, tokens_output=400, cache_read_tokens=8_000)
        s.log(EventType.AI_RESPONSE, tokens_input=40_000, tokens_output=2_500)  # context rebuilt: a spike
        ids.append(s.id)
    return ids


def main(argv: list[str] | None = None) -> int:
    """Run the demo and print each session's report."""
    parser = argparse.ArgumentParser(prog="python -m sessionoptimizer_sdk.demo", description=__doc__)
    parser.add_argument("--home", type=Path, default=None, help="store folder (default: the default store)")
    parser.add_argument("--format", default="text", choices=["text", "markdown", "json"])
    args = parser.parse_args(argv)
    optimizer = SessionOptimizer(args.home)
    ids = run_demo(optimizer)
    from .reporting import render

    for sid in ids:
        print(render(optimizer.analyze(sid), args.format))
        print()
    optimizer.flush(timeout=30)
    print(f"Stored {len(ids)} sessions in {optimizer.settings.db_path}")
    print(f"Reports: {optimizer.settings.reports_dir}/<session_id>_report.json")
    print("Next: `sessionoptimizer list`, `sessionoptimizer analyze <id>`, `sessionoptimizer serve`")
    optimizer.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
