"""Fixed-window rate limits counted atomically in the table.

One counter item per key and window (`pk = "RATE#<key>"`, `sk = "<window start>"`), incremented
with a conditional ADD that refuses to pass the limit, so concurrent requests can never slip
through together. Counters expire with a TTL shortly after their window. Keys never hold an email
or an IP: use `ip_key` for addresses and a person pseudonym for emails (pass `person` then, so
that erasure finds the counter).
"""

from __future__ import annotations

from datetime import datetime

from shared.config import BaseConfig
from shared.dynamo import ConditionFailed, Table
from shared.errors import RateLimited
from shared.people import person_keys
from shared.pseudonym import pseudonym, subkey
from shared.secret import server_secret

_GRACE_S = 300  # keep a counter a little past its window (TTL deletion is lazy anyway)


def hit(
    table: Table,
    key: str,
    limit: int,
    window_s: int,
    now: datetime,
    *,
    person: str | None = None,
) -> None:
    """Count one request against `key`; RateLimited (429) once `limit` is used up this window."""
    epoch = int(now.timestamp())
    start = epoch - epoch % window_s
    extra = ""
    values: dict[str, object] = {":one": 1, ":limit": limit, ":ttl": start + window_s + _GRACE_S}
    names = {"#n": "count", "#ttl": "ttl"}
    if person is not None:
        keys = person_keys(person, "RATE", f"{key}#{start}")
        extra = ", gsi3pk = :g3pk, gsi3sk = :g3sk"
        values.update({":g3pk": keys["gsi3pk"], ":g3sk": keys["gsi3sk"]})
    try:
        table.update(
            f"RATE#{key}",
            str(start),
            f"ADD #n :one SET #ttl = :ttl{extra}",
            names=names,
            values=values,
            condition="attribute_not_exists(#n) OR #n < :limit",
        )
    except ConditionFailed:
        raise RateLimited(
            "Too many requests: please try again later.", retry_after_s=start + window_s - epoch
        ) from None


def ip_key(config: BaseConfig, ip: str, kind: str = "IP") -> str:
    """The rate-limit key of a client IP: a keyed pseudonym, never the address itself.

    `kind` names a limit of its own (e.g. `REPORTS`) counted apart from the writes (`IP`).
    """
    return f"{kind}#" + pseudonym(subkey(server_secret(config.table_name), "ip"), ip)
