r"""Untrusted text made safe to print: control characters shown as visible escapes (``\x1b``), never emitted.

Agent, task, tool and file names come from agents and transcripts; printed raw, an ``ESC]0;...`` or ``ESC[2J``
in them would retitle or clear the user's terminal. Every CLI output and the text and Markdown reports pass
untrusted values through :func:`escape_control`.
"""

from __future__ import annotations

import re

__all__ = ["escape_control", "escape_control_in_document", "escape_control_in_json"]

#: C0 controls, DEL, C1 controls (``\x9b`` is a one-byte CSI) and the bidirectional overrides/isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    r"""``text`` with each control character replaced by its visible escape (``\x1b``, ``\u202e``)."""
    return text if _CONTROL.search(text) is None else _CONTROL.sub(_visible, text)


_DOCUMENT_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_CONTROL = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_control_in_document(text: str) -> str:
    """Like :func:`escape_control` but keeps newlines and tabs: for whole rendered documents (HTML, Markdown)."""
    return text if _DOCUMENT_CONTROL.search(text) is None else _DOCUMENT_CONTROL.sub(_visible, text)


def escape_control_in_json(text: str) -> str:
    r"""JSON text with DEL, C1 and bidi characters as ``\uXXXX`` escapes (JSON itself escapes C0); still valid."""
    return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
