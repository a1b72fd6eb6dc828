"""The REST declaration: /openapi.json states each route's parameters and the server enforces exactly that."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

# Written out by hand from the API's contract (docs and the previous hand-written document), not read from the
# code: route -> {query parameter: (minimum, maximum, default)} for the integer parameters.
EXPECTED_INT_RANGES = {
    "/api/stats/current": {"hours": (1, 24 * 366, 24)},
    "/api/stats/trend": {"days": (1, 366, 7)},
    "/api/stats/agent/{agent_name}": {"days": (1, 366, 7)},
    "/api/sessions": {"limit": (1, 1000, 50), "offset": (0, 10**9, 0)},
    "/api/sessions/{session_id}/events": {"limit": (1, 10_000, 200), "offset": (0, 10**9, 0)},
    "/api/alerts": {"limit": (1, 1000, 100)},
    "/api/guidance/{agent_name}": {
        "days": (1, 366, 14),
        "min_sessions": (1, 10_000, 1),
        "max_items": (1, 50, 8),
    },
}
EXPECTED_TEXT = {"/api/sessions": {"agent"}, "/api/alerts": {"session_id"}}


def _document(url: str) -> dict[str, Any]:
    doc: dict[str, Any] = httpx.get(url + "/openapi.json", timeout=10).json()
    return doc


def _query_params(doc: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def _concrete(path: str, seeded) -> str:
    return path.replace("{agent_name}", "FORGE").replace("{session_id}", seeded.ids["FORGE"][0])


def test_document_states_every_integer_range_and_default(seeded):
    """/openapi.json documents each integer query parameter with the contract's bounds and default."""
    doc = _document(seeded.url)
    for path, params in EXPECTED_INT_RANGES.items():
        schemas = _query_params(doc, path)
        for name, (lo, hi, default) in params.items():
            assert schemas[name] == {"type": "integer", "minimum": lo, "maximum": hi, "default": default}, (
                path,
                name,
            )


@pytest.mark.parametrize("path", sorted(EXPECTED_INT_RANGES))
def test_server_enforces_exactly_the_documented_integer_bounds(seeded, path):
    """Each documented bound is accepted and one step beyond it is a 422 naming the parameter."""
    url = seeded.url + _concrete(path, seeded)
    for name, schema in _query_params(_document(seeded.url), path).items():
        if schema.get("type") != "integer":
            continue
        lo, hi = schema["minimum"], schema["maximum"]
        for inside in (lo, hi):
            r = httpx.get(url, params={name: inside}, timeout=30)
            assert r.status_code == 200, (path, name, inside, r.text)
        for outside in (lo - 1, hi + 1):
            r = httpx.get(url, params={name: outside}, timeout=30)
            assert r.status_code == 422, (path, name, outside)
            assert r.json() == {
                "error": "invalid_parameter",
                "detail": f"query parameter {name!r}: must be between {lo} and {hi}, got {outside}",
            }


@pytest.mark.parametrize(("path", "name"), [(p, n) for p, names in EXPECTED_TEXT.items() for n in names])
def test_text_parameters_accept_up_to_their_documented_length(seeded, path, name):
    """A text filter of the documented maximum length is accepted; one character more is a 422."""
    schema = _query_params(_document(seeded.url), path)[name]
    assert (schema["minLength"], schema["maxLength"]) == (1, 200)
    assert httpx.get(seeded.url + path, params={name: "x" * 200}, timeout=10).status_code == 200
    r = httpx.get(seeded.url + path, params={name: "x" * 201}, timeout=10)
    assert r.status_code == 422
    assert r.json()["detail"] == f"query parameter {name!r}: must be 1 to 200 characters"


def test_first_invalid_parameter_in_declared_order_is_reported(seeded):
    """With two bad parameters, the 422 names the one declared first (status before limit on /api/sessions)."""
    r = httpx.get(seeded.url + "/api/sessions", params={"limit": "0", "status": "SLEEPING"}, timeout=10)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("query parameter 'status':")


def test_status_filter_is_documented_as_the_four_statuses(seeded):
    """/api/sessions documents ``status`` as exactly ACTIVE, COMPLETED, FAILED and ABANDONED."""
    schema = _query_params(_document(seeded.url), "/api/sessions")["status"]
    assert schema == {"type": "string", "enum": ["ACTIVE", "COMPLETED", "FAILED", "ABANDONED"]}


def test_every_documented_response_schema_exists(seeded):
    """Each operation's 200 response refers to a schema defined under components/schemas."""
    doc = _document(seeded.url)
    for path, item in doc["paths"].items():
        ref = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1] in doc["components"]["schemas"], path


def test_declaring_a_parameter_the_target_cannot_take_fails_at_declaration():
    """A query parameter added to a declaration without the matching keyword on its target is refused at once."""
    from sessionoptimizer_sdk.server._params import TextQuery
    from sessionoptimizer_sdk.server._routes import Endpoint
    from sessionoptimizer_sdk.server.service import DashboardService

    with pytest.raises(TypeError, match="/api/sessions/active"):
        Endpoint(
            "/api/sessions/active",
            "Running sessions",
            "ActiveSessions",
            DashboardService.active_sessions,
            (TextQuery("host", "recorded on this host"),),
        )
    ok = Endpoint(
        "/api/x/{agent_name}", "x", "Health", DashboardService.agent_stats, (TextQuery("days", "d"),)
    )
    assert ok.path_params == ("agent_name",)


def test_every_json_api_route_is_documented(seeded):
    """Every ``/api`` route the server answers is in /openapi.json, except the Server-Sent Events stream."""
    from sessionoptimizer_sdk.server.api import api_routes

    routes = [r.path for r in api_routes() if r.path.startswith("/api")]  # type: ignore[attr-defined]
    served = {
        re.sub(r":\w+}", "}", path) for path in routes
    }  # {agent_name:anytext} is {agent_name} in OpenAPI
    assert served - set(_document(seeded.url)["paths"]) == {"/api/stream"}
    assert len(served) == 13  # 12 documented GET routes + the stream
