"""The on-disk rate table: a new process prices known models without loading genai-prices, same dollars."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sessionoptimizer_sdk._internal.rate_table import RateTable, default_table
from sessionoptimizer_sdk.analysis.pricing import _decode, _encode, cached_rates, resolve_rates

DAY = date(2026, 1, 21)
#: Prices a Sonnet 4.5 request in a fresh interpreter and says whether genai-prices had to be imported.
_CHILD = """
import json, sys
from datetime import date
from sessionoptimizer_sdk.analysis.pricing import cached_rates
rates = cached_rates(sys.argv[1], date(2026, 1, 21))
cost = None if isinstance(rates, str) else rates.cost_of(1000, 10_000, 400, 2000)
print(json.dumps({"cost": cost, "why": rates if isinstance(rates, str) else None,
                  "loaded_genai_prices": "genai_prices" in sys.modules}))
"""


def _child(model: str) -> dict[str, object]:
    """Run :data:`_CHILD` in a new process with this test's cache folder."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, model],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    ).stdout
    return dict(json.loads(out))


def _table_files() -> list[Path]:
    folder = Path(os.environ["XDG_CACHE_HOME"]) / "sessionoptimizer"
    return sorted(folder.glob("rates-v1-*.json")) if folder.is_dir() else []


def test_second_process_prices_from_the_table_without_genai_prices() -> None:
    """The first process loads genai-prices and fills the table; the next prices the same request from it."""
    # Sonnet 4.5 per MTok: $3 input, $0.30 cache read, $3.75 cache write, $15 output (under the 200k tier)
    expected = 1000 * 3e-6 + 10_000 * 0.3e-6 + 400 * 3.75e-6 + 2000 * 15e-6
    first = _child("claude-sonnet-4-5")
    second = _child("claude-sonnet-4-5")
    assert first["loaded_genai_prices"] is True
    assert second["loaded_genai_prices"] is False
    assert first["cost"] == pytest.approx(expected, rel=1e-12)
    assert second["cost"] == first["cost"]
    (table,) = _table_files()
    assert table.stat().st_mode & 0o777 == 0o600
    assert table.parent.stat().st_mode & 0o777 == 0o700


def test_unknown_model_reason_is_kept_too() -> None:
    """A model genai-prices lacks stays unpriced with the library's reason, also when read from the table."""
    first = _child("acme-llm-9")
    second = _child("acme-llm-9")
    assert first["why"] == second["why"] == "model 'acme-llm-9' is not in the genai-prices database"
    assert first["cost"] is None and second["loaded_genai_prices"] is False


def test_rates_survive_the_table_round_trip_exactly() -> None:
    """Tiered rates written to the table read back equal to the library's, float for float."""
    rates = resolve_rates.__wrapped__("claude-sonnet-4-5", DAY)
    assert not isinstance(rates, str)
    assert _decode(json.loads(json.dumps(_encode(rates)))) == rates
    assert rates.input.tiers == ((200_000, 6e-6),)


@pytest.mark.parametrize(
    "entry",
    [None, [], {"rates": [[1, []]] * 4}, {"id": "x", "rates": [[1, []]] * 3}, {"id": "x", "rates": "no"}],
)
def test_malformed_entries_are_ignored(entry: object) -> None:
    """An entry that is not a reason or four well-formed rates reads as missing (the library is asked)."""
    assert _decode(entry) is None


def test_corrupt_table_falls_back_to_the_library_and_is_rewritten() -> None:
    """A table file holding garbage is ignored: the price comes from genai-prices and the file is made valid."""
    path = default_table().path
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    cached_rates.cache_clear()
    try:
        rates = cached_rates("claude-sonnet-4-5", DAY)
    finally:
        cached_rates.cache_clear()
    assert rates == resolve_rates.__wrapped__("claude-sonnet-4-5", DAY)
    assert "claude-sonnet-4-5|2026-01-21" in json.loads(path.read_text(encoding="utf-8"))


def test_unwritable_cache_folder_never_fails_pricing(tmp_path: Path) -> None:
    """A file where the cache folder should be leaves pricing working, only unremembered."""
    blocker = tmp_path / "blocked"
    blocker.write_text("x", encoding="utf-8")
    table = RateTable(blocker / "sessionoptimizer" / "rates.json")
    table.put("k", {"why": "w"})
    assert table.get("k") == {"why": "w"}  # kept in memory for this process
    assert RateTable(blocker / "sessionoptimizer" / "rates.json").get("k") is None


def test_entries_of_other_processes_are_merged_not_overwritten(tmp_path: Path) -> None:
    """Two tables on one file (two processes) each add an entry; the file ends with both."""
    path = tmp_path / "c" / "rates.json"
    a, b = RateTable(path), RateTable(path)
    a.get("x")
    b.get("x")  # both loaded the (empty) file before either wrote
    a.put("m1", {"why": "1"})
    b.put("m2", {"why": "2"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"m1": {"why": "1"}, "m2": {"why": "2"}}


def test_table_stops_growing_at_its_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap, new models (e.g. names sent by untrusted agents) are not added; known ones still update."""
    from sessionoptimizer_sdk._internal import rate_table

    monkeypatch.setattr(rate_table, "MAX_ENTRIES", 3)
    path = tmp_path / "c" / "rates.json"
    table = RateTable(path)
    for i in range(5):
        table.put(f"m{i}", {"why": str(i)})
    table.put("m0", {"why": "again"})
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "m0": {"why": "again"},
        "m1": {"why": "1"},
        "m2": {"why": "2"},
    }
    assert table.get("m4") is None
