"""Keyed pseudonyms: a person is the HMAC of their normalised email, never the email itself.

The same pseudonym keys pledge dedupe, draw entries (`entrant_id`), rate limits and erasure, so
no key or log line ever holds an address.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret: bytes, value: str) -> str:
    """First 16 hex characters of HMAC-SHA256(secret, value): the API's `entrant_id`."""
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:16]


def subkey(secret: bytes, purpose: str) -> bytes:
    """An independent key per purpose (cursors, IPs), derived from the one server secret."""
    return hmac.new(secret, f"techognition:{purpose}".encode(), hashlib.sha256).digest()
