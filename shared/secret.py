"""The server secret that keys pseudonyms and signs cursors.

It lives in the table itself (a private item no route reads out), created once by whichever
function needs it first with a conditional put, so that no secret store with a monthly charge
stands idle all year. The secret is read once per cold start.
"""

from __future__ import annotations

import secrets
from functools import cache

from shared.dynamo import ConditionFailed, Table
from shared.pseudonym import subkey

_PK, _SK = "CONFIG", "SERVER_SECRET"


@cache
def server_secret(table_name: str) -> bytes:
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
