"""How a card uid appears in a log line, and the net that catches the rest.

:func:`redact_uid` is the one redaction of a token uid: four stars and its last
four characters (``****00C3``), enough to tell two cards apart in a log and to
match a driver's complaint to a card in hand, too little to clone one (an RFID
uid is 8, 14 or 20 hex digits; cloning needs all of them). A uid shorter than
eight characters is shown as ``****`` only: its last four would be most of it.

:func:`redact_text` finds uids and credentials in text the code does not
control: OCPI request paths (``/tokens/NL/EXA/{uid}``, ``/tokens/{uid}/authorize``,
as httpx and uvicorn log them), ``uid``/``contract_id`` fields of payloads and
reprs, and ``Authorization: Token ...`` headers. :mod:`edge.log` applies it to
every log record. Pure functions, no IO.
"""

from __future__ import annotations

import re

MASK = "****"
SHOWN = 4
"""Trailing characters of a uid that a log may show."""
SHOWN_FROM = 8
"""Shortest uid whose last characters are shown."""


def redact_uid(uid: str) -> str:
    """A token uid as a log may show it: ``****`` and its last four characters."""
    if uid.startswith(MASK):
        return uid  # already redacted: idempotent
    return MASK + uid[-SHOWN:] if len(uid) >= SHOWN_FROM else MASK


_VALUE = r"[^\s\"'/?#&,;{}\[\]()<>|\\]+"
_PATHS = (
    # Receiver interface: tokens/{country_code}/{party_id}/{token_uid}
    re.compile(rf"(/tokens/[A-Za-z]{{2}}/[A-Za-z0-9]{{3}}/)({_VALUE})"),
    # Sender interface: tokens/{token_uid}/authorize
    re.compile(rf"(/tokens/)({_VALUE})(?=/authorize)"),
)
_FIELDS = re.compile(
    r"(\b(?:uid|token_uid|contract_id|auth_id|id_tag|idTag|visual_number|card)"
    rf"[\"']?\s*[:=]\s*[\"']?)({_VALUE})",
)
_CREDENTIALS = re.compile(
    r"((?:\b[Aa]uthorization[\"']?\s*[:=]\s*[\"']?(?:Token|Bearer)\s+|"
    r"\btoken_[abc][\"']?\s*[:=]\s*[\"']?|[\"']token[\"']\s*:\s*[\"']))"
    r"([^\s\"',;{}\[\]()<>]+)",
)


def _uid(m: re.Match[str]) -> str:
    return m.group(1) + redact_uid(m.group(2))


_ANY = re.compile(
    r"uid|token|contract_id|auth|id_?tag|visual_number|card", re.IGNORECASE
)
"""Every pattern below needs one of these: most lines are passed by one search."""


def redact_text(text: str) -> str:
    """``text`` with every token uid it names redacted, and credentials hidden."""
    return redact_all(text) if _ANY.search(text) else text


def redact_all(text: str) -> str:
    """:func:`redact_text` without the quick pass (every pattern, every time)."""
    for pattern in _PATHS:
        text = pattern.sub(_uid, text)
    text = _FIELDS.sub(_uid, text)
    return _CREDENTIALS.sub(lambda m: m.group(1) + MASK, text)
