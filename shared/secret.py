"""The server secret that keys pseudonyms and signs cursors.

It lives in the table itself (a private item no route reads out, in a partition of its own that
only the functions needing it may read), created once by whichever function needs it first
with a conditional put, so that no secret store with a monthly charge stands idle all year.
The secret is read once per cold start.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from functools import cache

from shared.dynamo import ConditionFailed, Table
from shared.pseudonym import subkey

# The partition is its own (infra/wiring.py SECRET_PARTITION): `dynamodb:LeadingKeys` lets only
# the functions that key pseudonyms or sign cursors read it; the upload processor cannot.
_PK, _SK = "CONFIG", "SERVER_SECRET"

# Each Lambda function caches the secret in its own process. Locally several functions share a
# process, so the local runtime names the running function here (local/iam.py): each function
# still reads the secret itself, as in the cloud, and the IAM check sees that read.
cache_scope: ContextVar[str] = ContextVar("secret_cache_scope", default="")


def server_secret(table_name: str) -> bytes:
    return _server_secret(table_name, cache_scope.get())


def forget() -> None:
    """Drop the cached secret (a new cold start; tests and benchmarks)."""
    _server_secret.cache_clear()


@cache
def _server_secret(table_name: str, scope: str) -> bytes:  # `scope`: part of the cache key
    table = Table(table_name)
    found = table.get(_PK, _SK, consistent=True)
    if found:
        return bytes.fromhex(found["secret"])
    candidate = secrets.token_hex(32)
    try:
        table.put(
            {"pk": _PK, "sk": _SK, "secret": candidate},
            condition="attribute_not_exists(pk)",
        )
    except ConditionFailed:  # another cold start won the race: use theirs
        won = table.get(_PK, _SK, consistent=True)
        assert won is not None
        return bytes.fromhex(won["secret"])
    return bytes.fromhex(candidate)


def cursor_key(table_name: str) -> bytes:
    """The key every list signs its cursors with (each list adds its own scope)."""
    return subkey(server_secret(table_name), "cursor")


server_secret.cache_clear = _server_secret.cache_clear  # type: ignore[attr-defined]
