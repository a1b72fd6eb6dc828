"""Plugin discovery reuses the last entry-point scan while nothing on sys.path changed, and rescans when it did."""

from __future__ import annotations

import importlib.metadata
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk._internal import plugin_cache, plugins
from sessionoptimizer_sdk._internal.rate_table import cache_dir

GROUP = "sessionoptimizer.test_plugins"


def _install(folder: Path, name: str, attr: str) -> None:
    """A distribution ``name`` in ``folder``: one module with ``attr`` = its name, one entry point of GROUP."""
    (folder / f"{name}.py").write_text(f"{attr} = {name!r}\n", encoding="utf-8")
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{name} = {name}:{attr}\n", encoding="utf-8")


def _age(folder: Path, seconds: float = 60.0) -> None:
    """Set ``folder``'s modification time ``seconds`` in the past (out of the racy window)."""
    past = time.time() - seconds
    os.utime(folder, (past, past))


def _loaded() -> dict[str, Any]:
    return {ep.name: ep.load() for ep in plugins.entry_points(group=GROUP)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder standing for site-packages, the only entry of sys.path besides the stdlib's own folders."""
    folder = tmp_path / "site"
    folder.mkdir()
    stdlib = [p for p in sys.path if p.startswith(sys.base_prefix) and "site-packages" not in p]
    monkeypatch.setattr(sys, "path", [str(folder), *stdlib])
    for mod in ("plug_a", "plug_b"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    return folder


def test_second_lookup_uses_the_cached_scan_without_importlib_metadata(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With sys.path unchanged, the entry points come from the cache (no scan) and load the same objects."""
    _install(site, "plug_a", "VALUE")
    _age(site)
    assert _loaded() == {"plug_a": "plug_a"}

    def no_scan(**kw: Any) -> Any:
        raise AssertionError("scanned although nothing changed")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    points = list(plugins.entry_points(group=GROUP))
    assert [(p.name, p.value) for p in points] == [("plug_a", "plug_a:VALUE")]
    assert _loaded() == {"plug_a": "plug_a"}


def test_a_distribution_installed_later_is_found(site: Path) -> None:
    """Installing a second plugin changes its folder: the next lookup scans again and finds both."""
    _install(site, "plug_a", "VALUE")
    _age(site, 120)
    assert set(_loaded()) == {"plug_a"}
    _install(site, "plug_b", "OTHER")
    _age(site, 60)  # still a different mtime than at the first scan
    assert _loaded() == {"plug_a": "plug_a", "plug_b": "plug_b"}


def test_a_folder_changed_just_now_is_not_trusted(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan made right after a sys.path folder changed is not kept: the next lookup scans again."""
    _install(site, "plug_a", "VALUE")  # mtime: now
    calls: list[str] = []
    real = importlib.metadata.entry_points

    def counted(**kw: Any) -> Any:
        calls.append(kw["group"])
        return real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", counted)
    assert _loaded() == {"plug_a": "plug_a"}
    assert _loaded() == {"plug_a": "plug_a"}
    assert calls == [GROUP, GROUP]


def test_a_corrupt_cache_file_means_a_scan(site: Path) -> None:
    """An unreadable cache file is ignored: the lookup scans and finds the installed plugin."""
    _install(site, "plug_a", "VALUE")
    _age(site)
    folder = cache_dir()
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entry-points-v1.json").write_text("{not json", encoding="utf-8")
    assert _loaded() == {"plug_a": "plug_a"}
    mark, _ = plugin_cache.path_mark()
    assert [(p.name, p.value) for p in plugin_cache.cached_points(GROUP, mark) or []] == [
        ("plug_a", "plug_a:VALUE")
    ]  # the scan replaced the corrupt file


def test_cached_entry_point_loads_dotted_attributes_and_ignores_extras() -> None:
    """``module:attr.sub [extra]`` loads the nested attribute, as importlib.metadata's EntryPoint does."""
    point = plugin_cache.CachedEntryPoint("x", "os.path:join.__name__ [speed]", GROUP)
    assert point.load() == "join"
    assert plugin_cache.CachedEntryPoint("m", "os.path", GROUP).load() is os.path


def test_a_cached_value_that_is_no_module_path_is_not_used(site: Path) -> None:
    """A cache entry naming something other than ``module:attr`` (a path, code) is ignored: the lookup scans."""
    _install(site, "plug_a", "VALUE")
    _age(site)
    assert _loaded() == {"plug_a": "plug_a"}
    mark, _ = plugin_cache.path_mark()
    table = plugin_cache._table()
    assert table is not None
    table.put(GROUP, {"mark": mark, "points": [["evil", "../evil.py"]]})
    assert plugin_cache.cached_points(GROUP, mark) is None
    assert _loaded() == {"plug_a": "plug_a"}  # scanned again, the real plugin found
