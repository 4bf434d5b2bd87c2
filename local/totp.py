"""RFC 6238 time-based one-time codes, as an authenticator app computes them (SHA-1, 30 s,
6 digits): the local stack enrols its users' authenticator with them, the tests sign in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP_S = 30


def totp(secret: str, at: float) -> str:
    """The code for base32 `secret` at unix time `at`."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // STEP_S)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def fresh_code(secret: str, *, needed_s: float = 2.0) -> str:
    """The current code, waiting for the next one when less than `needed_s` of it is left:
    the local Cognito (moto) accepts only the code of the current 30 s, with no clock drift."""
    left = STEP_S - time.time() % STEP_S
    if left < needed_s:
        time.sleep(left + 0.1)
    return totp(secret, time.time())
