"""The cache-miss advice a user reads and which models get the provider's automatic cache expiry."""

from __future__ import annotations

from sessionoptimizer_sdk.analysis.analyzers.cache_miss import CacheMiss, _advice, _is_openai


def test_openai_models_are_recognised_by_provider_or_name_prefix() -> None:
    """OpenAI is the ``openai`` provider or a gpt/o1/o3/o4/codex model; Claude and o2-like names are not."""
    assert _is_openai("openai", "anything")
    for model in ("gpt-4o", "o1-mini", "o3", "o4-mini", "codex-mini-latest"):
        assert _is_openai(None, model), model
    for provider, model in (
        (None, "claude-sonnet-4-5"),
        ("anthropic", "claude-opus"),
        (None, "o2"),
        ("x", ""),
    ):
        assert not _is_openai(provider, model), model


def _miss(cause: str, *, avoidable: bool = True, changed: str | None = None) -> CacheMiss:
    return CacheMiss(
        3, 1_000, 20_000, cause, 400.0, "5m" if cause == "ttl_expired" else None, avoidable, changed
    )


def test_unavoidable_misses_get_no_advice() -> None:
    """A miss a different choice would not have avoided (compaction, model switch) gets no recommendation."""
    assert _advice(_miss("compaction", avoidable=False), 5.0) is None


def test_ttl_advice_names_the_configured_ttl_and_the_one_hour_price() -> None:
    """An expired 5-minute cache advises the 1-hour TTL, naming '5-minute' and the 2x vs 1.25x write price."""
    advice = _advice(_miss("ttl_expired"), 5.0)
    assert advice is not None
    assert advice.title == "Use the 1-hour prompt-cache TTL"
    assert advice.detail == (
        "The 5-minute cache expired during pauses shorter than an hour. Requesting the 1-hour TTL "
        "(cache_control ttl '1h'; writes cost 2x input instead of 1.25x) keeps the prefix cached across such pauses."
    )


def test_prefix_advice_depends_on_what_changed() -> None:
    """A tool list loaded mid-session, a named change, or an unknown change each get their own advice text."""
    tools = _advice(_miss("prefix_changed", changed="tool list loaded mid-session"), 5.0)
    named = _advice(_miss("prefix_changed", changed="a system reminder was inserted"), 5.0)
    unknown = _advice(_miss("prefix_changed"), 5.0)
    assert tools is not None and named is not None and unknown is not None
    assert (tools.title, tools.detail) == (
        "Load tools before the session starts",
        "The tool list changed mid-session (a tool search or an MCP server's tools were loaded), which "
        "invalidates the cached prefix; configure the tools up front.",
    )
    assert (named.title, named.detail) == (
        "Keep the prompt prefix stable",
        "The cached prefix changed (a system reminder was inserted); keep early context stable so later calls "
        "read it.",
    )
    assert (unknown.title, unknown.detail) == (
        "Keep the prompt prefix stable",
        "The cached prefix changed within the cache TTL (system prompt, tool list or early messages); keep "
        "them stable so later calls can read them from cache.",
    )
