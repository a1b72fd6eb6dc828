"""Adapter registry: built-ins come through the entry-point group; broken plugins are skipped with a reason."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from types import SimpleNamespace
from typing import cast

import pytest

from sessionoptimizer_sdk import AdapterUnavailable, SessionOptimizer
from sessionoptimizer_sdk._internal import plugins
from sessionoptimizer_sdk.adapters import TokenTrackerAdapter, create_adapter, load_adapters, registry


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    registry.reset_adapters()
    yield
    registry.reset_adapters()


def test_builtin_adapters_are_registered_as_entry_points() -> None:
    """The five built-ins are found through the sessionoptimizer.adapters entry-point group."""
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group=registry.ENTRY_POINT_GROUP)}
    assert {"tokentracker", "contextcompressor", "errorrecovery", "synapselink", "agenthealth"} <= names
    assert load_adapters()["tokentracker"] is cast(object, TokenTrackerAdapter)


def test_create_adapter_by_name(optimizer: SessionOptimizer, teambrain: SimpleNamespace) -> None:
    """create_adapter builds a registered adapter; with no source it imports the tool by its module name."""
    assert isinstance(create_adapter(optimizer, "TokenTracker", teambrain.tokentracker), TokenTrackerAdapter)
    assert isinstance(
        create_adapter(optimizer, "tokentracker"), TokenTrackerAdapter
    )  # imports `tokentracker`
    with pytest.raises(AdapterUnavailable, match="no adapter named 'nope'"):
        create_adapter(optimizer, "nope")


def test_tool_module_that_cannot_be_imported_is_a_clear_error(optimizer: SessionOptimizer) -> None:
    """Without a source and without the tool installed, the error says which module is missing."""
    with pytest.raises(AdapterUnavailable, match="'agenthealth' module cannot be imported"):
        create_adapter(optimizer, "agenthealth")


def test_broken_plugin_is_skipped_with_a_logged_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A plugin that fails to import or is not an adapter factory is skipped; the others still load."""
    eps = [
        EntryPoint("broken", "no_such_module_xyz:Thing", registry.ENTRY_POINT_GROUP),
        EntryPoint("nameless", "builtins:len", registry.ENTRY_POINT_GROUP),
        EntryPoint(
            "tokentracker",
            "sessionoptimizer_sdk.adapters.tokentracker:TokenTrackerAdapter",
            registry.ENTRY_POINT_GROUP,
        ),
    ]
    monkeypatch.setattr(
        plugins, "entry_points", lambda group: eps if group == registry.ENTRY_POINT_GROUP else []
    )
    with caplog.at_level(logging.WARNING, logger="sessionoptimizer"):
        found = load_adapters(reload=True)
    assert "broken" not in found and "nameless" not in found
    assert set(found) >= {"tokentracker", "synapselink"}  # built-ins still present
    assert "no_such_module_xyz" in caplog.text and "builtins:len" in caplog.text
