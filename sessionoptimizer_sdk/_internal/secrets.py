"""Credential-looking text replaced before anything derived from session data is stored or written.

One set of patterns for every place that keeps text a user or agent typed: the guidance written into CLAUDE.md,
the commands a finding names, and transcript content kept with ``--capture-content``. Names, flags and URL
schemes around a secret are kept, so the text still reads.
"""

from __future__ import annotations

import functools
import re
from typing import Final

__all__ = ["REDACTED", "redact_secrets"]

#: What redaction puts in place of a secret (names, flags and URL schemes around it are kept).
REDACTED: Final = "…"
#: A word that makes a variable, flag or header name secret-looking (``KEY`` only as a whole part of the name).
_SECRET_WORD = (
    r"(?:password|passwd|passphrase|pwd|secret|token|credentials?|api[-_]?key|apikey"
    r"|(?:access|private|secret|signing|encryption|master)[-_]?key|(?<![a-z0-9])key)"
)
#: A secret-looking name: the word with optional name parts before and after (``DB_PASSWORD_FILE``).
_SECRET_NAME = rf"(?i:[a-z0-9_.-]*{_SECRET_WORD}(?:[-_.][a-z0-9_.-]*)?)"
#: A value: quoted (up to its closing quote) or one word.
_VALUE = r"(?:\"[^\"\n]*\"?|'[^'\n]*'?|[^\s\"'`;&|)]+)"
#: Each alternative keeps the non-secret part in a ``k`` group and drops the rest.
_SECRET_PATTERNS: Final = (
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    # user:password@ (or a bare token@) in a URL of any scheme
    r"(?P<k1>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/?#\"'`]*@",
    # Authorization / Proxy-Authorization headers (scheme and credentials), Cookie headers (to the line's end)
    r"(?P<k2>(?i:\b(?:proxy-)?authorization)[\"']?\s*[:=]\s*)"
    r"(?:(?i:bearer|basic|token|digest|negotiate|bot)\s+)?[^\s\"'`]+",
    r"(?P<k9>(?i:\b(?:set-)?cookie)[\"']?\s*:\s*)[^\"'`\n]+",
    r"(?P<k3>\b(?i:bearer)\s+)[^\s\"'`]+",
    # curl-style -u/--user user:password: the password
    r"(?P<k4>(?<!\S)(?:-u|-U|--user|--proxy-user)(?:\s+|=)?[\"']?[^\s:\"'`]*:)(?!//)[^\s\"'`]+",
    # mysql -pSECRET (attached: a separate word after -p is a database name), sshpass -p SECRET
    r"(?P<k5>\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mariadb|mariadb-dump)\b[^\n|;&]*?\s-p)[^\s\"'`]+",
    r"(?P<k6>\bsshpass\s+-p\s*)[^\s\"'`]+",
    # --password X, --password=X, --client-secret X, --api-key=X ... (not a next flag)
    rf"(?P<k7>(?<![\w-])--?{_SECRET_NAME}(?:=|\s+))(?!-)" + _VALUE,
    # NAME=value, NAME: value, "name": "value"
    rf"(?P<k8>(?<![\w.-]){_SECRET_NAME}[\"']?\s*[=:]\s*)(?![=:/])" + _VALUE,
    # well-known token shapes
    r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{12,}",
    r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{8,}",
    r"\bgh[pousr]_[A-Za-z0-9]{12,}|\bgithub_pat_[A-Za-z0-9_]{12,}",
    r"\bgl(?:pat|dt|rt|ptt|cbt|ft|imt|soat|oas)-[A-Za-z0-9_-]{8,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{8,}",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{12,}",
    r"\bAIza[0-9A-Za-z_-]{20,}",
    r"\b(?:npm|hf|pypi)[-_][A-Za-z0-9_-]{20,}",
    r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*)?",
)
#: Any other run of 32+ key characters holding both letters and digits (a random key, a hash).
_BLOB: Final = r"(?<![A-Za-z0-9+/_=-])(?=[A-Za-z+/_=-]*[0-9])(?=[0-9+/_=-]*[A-Za-z])[A-Za-z0-9+/_=-]{32,}"


@functools.cache
def _pattern(blobs: bool) -> re.Pattern[str]:
    """The compiled alternatives (with the long-run rule or without: for file paths and captured content).

    Compiled on first use: ~5 ms a process would otherwise pay at import, redaction or not.
    """
    return re.compile("|".join(f"(?:{p})" for p in (*_SECRET_PATTERNS, *((_BLOB,) if blobs else ()))))


def _keep(match: re.Match[str]) -> str:
    """The non-secret part of one match: a name, a flag or a URL scheme (empty for a bare token)."""
    return next((v for k, v in match.groupdict().items() if k.startswith("k") and v is not None), "")


def redact_secrets(text: str, *, blobs: bool = True, mark: str = REDACTED) -> str:
    """``text`` with credential-looking parts replaced by ``mark``.

    Covers private keys, userinfo in URLs, ``Authorization``/``Cookie`` headers and bearer tokens, curl's
    ``-u user:password``, password flags (``--password X``, ``--api-key=X``; ``-p`` only as mysql's attached
    ``-pSECRET`` and ``sshpass -p``), ``NAME=value`` / ``NAME: value`` where the name looks secret, well-known
    token prefixes (``sk-``, ``ghp_``, ``glpat-``, ``xoxb-``, ``AKIA``, ``AIza``...), JWTs, and any run of 32+
    key characters mixing letters and digits (``blobs=False`` skips that last rule: for file paths, and for
    captured content, where hashes and ids are common). Run it before cutting a text short: a cut can shorten a
    secret below what the patterns recognise.
    """

    def replace(match: re.Match[str]) -> str:
        keep = _keep(match)
        return f"{keep}{mark}@" if match.group("k1") is not None else keep + mark

    return _pattern(blobs).sub(replace, text)
