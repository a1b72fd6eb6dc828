"""A compressed body must be complete: a cut-short stream or bytes after it is refused and nothing is stored."""

from __future__ import annotations

import gzip
import zlib

import httpx

from .conftest import TeamServer
from .payloads import event_span, traces

PB = {"Content-Type": "application/x-protobuf"}


def _two_requests() -> tuple[bytes, bytes]:
    """Two serialized trace requests of different sessions (concatenated, they are one valid request)."""
    first = traces(*[event_span("gz-a", n) for n in range(5)]).SerializeToString()
    second = traces(*[event_span("gz-b", n) for n in range(5)]).SerializeToString()
    return first, second


def _post(server: TeamServer, body: bytes, encoding: str) -> httpx.Response:
    """POST ``body`` to /v1/traces with ``Content-Encoding: encoding``."""
    return httpx.post(f"{server.url}/v1/traces", content=body, headers={**PB, "Content-Encoding": encoding})


def _refused_as_bad_encoding(server: TeamServer, response: httpx.Response) -> None:
    """400 bad_encoding with a detail, nothing stored."""
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_encoding"
    assert response.json()["detail"]
    assert server.store.count_sessions() == 0
    assert server.store.count_events() == 0


def test_gzip_cut_at_a_flush_point_is_refused(team_server: TeamServer):
    """A gzip body cut after a full flush (a decodable prefix, no end marker nor trailer) is 400, not half-stored."""
    first = _two_requests()[0]
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    prefix = deflater.compress(first) + deflater.flush(zlib.Z_FULL_FLUSH)
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(prefix) == first  # the cut part alone decodes
    r = _post(team_server, prefix, "gzip")
    _refused_as_bad_encoding(team_server, r)
    assert "truncated" in r.json()["detail"]


def test_gzip_with_trailing_junk_is_refused(team_server: TeamServer):
    """A complete gzip stream followed by other bytes is 400: the sender's framing is broken."""
    body = gzip.compress(_two_requests()[0]) + b"JUNKJUNK"
    r = _post(team_server, body, "gzip")
    _refused_as_bad_encoding(team_server, r)
    assert "8 bytes follow" in r.json()["detail"]


def test_truncated_deflate_is_refused(team_server: TeamServer):
    """A zlib (deflate) body without its end of stream is 400 bad_encoding."""
    body = zlib.compress(_two_requests()[0])
    _refused_as_bad_encoding(team_server, _post(team_server, body[: len(body) // 2], "deflate"))


def test_deflate_with_trailing_bytes_is_refused(team_server: TeamServer):
    """A deflate stream followed by another one (deflate has no members) is 400 bad_encoding."""
    first, second = _two_requests()
    _refused_as_bad_encoding(
        team_server, _post(team_server, zlib.compress(first) + zlib.compress(second), "deflate")
    )


def test_multi_member_gzip_is_read_whole(team_server: TeamServer):
    """Two gzip members (RFC 1952, as ``gzip.decompress`` reads them) are one body: both halves are stored."""
    first, second = _two_requests()
    r = _post(team_server, gzip.compress(first) + gzip.compress(second), "gzip")
    assert r.status_code == 200, r.text
    assert (team_server.store.count_events("gz-a"), team_server.store.count_events("gz-b")) == (5, 5)
