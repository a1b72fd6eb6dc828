"""``import sessionoptimizer_sdk`` is light, and every public name still resolves (loaded on first use)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
import sessionoptimizer_sdk
light = sorted(m for m in ("sessionoptimizer_sdk.optimizer", "sessionoptimizer_sdk.store.sqlite", "sqlite3")
               if m in sys.modules)
from sessionoptimizer_sdk import SessionOptimizer
import sessionoptimizer
names = {n: getattr(sessionoptimizer_sdk, n) is getattr(sessionoptimizer, n) for n in sessionoptimizer_sdk.__all__}
print(json.dumps({"loaded_at_import": light, "loaded_after": "sessionoptimizer_sdk.optimizer" in sys.modules,
                  "same": names, "dir": sorted(set(sessionoptimizer_sdk.__all__) - set(dir(sessionoptimizer_sdk)))}))
"""


def test_bare_import_defers_the_recording_pipeline_and_names_resolve() -> None:
    """The bare import loads no store or optimizer; each ``__all__`` name resolves to one object under both names."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded_at_import"] == []
    assert result["loaded_after"] is True
    assert result["same"] and all(result["same"].values())
    assert {"SessionOptimizer", "get_optimizer", "propagate", "SessionScope", "OptimizationReport"} <= set(
        result["same"]
    )
    assert result["dir"] == []


def test_unknown_names_raise_attribute_error() -> None:
    """A misspelt name fails like any module attribute, naming the module."""
    import sessionoptimizer_sdk

    with pytest.raises(AttributeError, match=r"sessionoptimizer_sdk.*SessionOptimiser"):
        sessionoptimizer_sdk.SessionOptimiser  # noqa: B018


STORE_PROBE = """
import json, sys
from sessionoptimizer_sdk import SessionOptimizer
deferred = sorted(m for m in ("sqlite3", "sessionoptimizer_sdk.store.sqlite")
                  if m in sys.modules)
opt = SessionOptimizer(sys.argv[1])
with opt.session("ATLAS", "probe", model="m") as s:
    s.log("FILE_READ", data={"file_path": "a.py"}, tokens_input=7)
opt.flush(30)
print(json.dumps({"deferred": deferred, "stored": opt.store.count_events(s.id),
                  "tokens": opt.store.get_session(s.id).tokens.input_tokens, "sqlite3": "sqlite3" in sys.modules}))
opt.shutdown(10)
"""


def test_importing_the_optimizer_defers_the_store_until_one_is_opened(tmp_path: Path) -> None:
    """``from sessionoptimizer_sdk import SessionOptimizer`` loads no SQLite; constructing one opens and writes it."""
    out = subprocess.run(
        [sys.executable, "-c", STORE_PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["deferred"] == []  # none of them loaded by the import
    assert result["sqlite3"] is True  # loaded by SessionOptimizer()
    assert result["stored"] == 1
    assert result["tokens"] == 7


CLI_PROBE = """
import contextlib, io, json, sys
from sessionoptimizer_sdk.cli._app import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main(sys.argv[1:], prog_name="sessionoptimizer", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps({"rich": sorted(m for m in sys.modules if m == "rich" or m.startswith("rich.")),
                  "out": out.getvalue()}))
"""


def _cli_probe(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CLI_PROBE, *args], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_commands_printing_no_table_never_load_rich(tmp_path: Path) -> None:
    """``--version`` and ``import --format json`` skip rich's ~20 ms of start-up; the table output still loads it."""
    from tests._paths import FIXTURES

    transcript = next(iter(sorted((FIXTURES / "claude-code-sniffly").rglob("*.jsonl"))))
    version = _cli_probe("--version")
    assert version["rich"] == [] and "sessionoptimizer" in str(version["out"])
    as_json = _cli_probe(
        "--home", str(tmp_path / "a"), "import", "claude-code", "--format", "json", str(transcript)
    )
    assert as_json["rich"] == []
    summary = json.loads(str(as_json["out"]))
    assert summary["files"] == 1 and summary["events"] > 0 and summary["session_ids"]
    as_table = _cli_probe("--home", str(tmp_path / "b"), "import", "claude-code", str(transcript))
    loaded = as_table["rich"]
    assert isinstance(loaded, list) and {"rich.console", "rich.table"} <= set(loaded)
    assert "Events written" in str(as_table["out"]) and f"{summary['events']:,}" in str(as_table["out"])


def test_reading_commands_printing_json_never_load_rich(tmp_path: Path) -> None:
    """``list``, ``show`` and ``analyze`` with ``--format json`` skip rich; their tables still load it."""
    from tests._paths import FIXTURES

    transcript = next(iter(sorted((FIXTURES / "claude-code-sniffly").rglob("*.jsonl"))))
    home = ["--home", str(tmp_path)]
    imported = json.loads(
        str(_cli_probe(*home, "import", "claude-code", "--format", "json", str(transcript))["out"])
    )
    (sid,) = imported["session_ids"]
    listed = _cli_probe(*home, "list", "--format", "json")
    assert listed["rich"] == []
    assert [s["id"] for s in json.loads(str(listed["out"]))["sessions"]] == [sid]
    shown = _cli_probe(*home, "show", sid, "--format", "json")
    assert shown["rich"] == [] and json.loads(str(shown["out"]))["session"]["id"] == sid
    analyzed = _cli_probe(*home, "analyze", sid, "--format", "json")
    assert analyzed["rich"] == [] and json.loads(str(analyzed["out"]))["session_id"] == sid
    table = _cli_probe(*home, "list")
    loaded = table["rich"]
    assert isinstance(loaded, list) and {"rich.console", "rich.table", "rich.text"} <= set(loaded)
    assert sid[:8] in str(table["out"])
