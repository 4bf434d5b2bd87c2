"""Where the pledge campaign keeps people's records: the one place that spells their keys.

Read and written by the pledge API (`functions/pledge/store.py`, the repository of pledges,
sign-ups, link tokens and messages) and by people's data (`functions/people/`: erasure takes a
pledge off the counters, the export reads confirmed sign-ups). Layout (one table):
- `PLEDGE#<person> / PLEDGE`: the confirmed pledge; `gsi1pk = "WALL#PLEDGES"` only when shown.
- `PLEDGE#<person> / MAILED`: when this person was last sent a pledge confirmation.
- `PLEDGES / SUMMARY`: `count` and `role_<role>` numbers.
- `SIGNUP#<person> / SIGNUP`: a sign-up; `gsi2pk = "SIGNUPS#confirmed"` while confirmed.
- `TOKEN#<sha256> / TOKEN`: a link token's hash, its person, purpose and expiry.
- `MESSAGE#<id> / MESSAGE`: a message; `gsi2pk = "MESSAGES#<status>"`, `gsi1pk =
  "WALL#MESSAGES"` only while approved.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.dynamo import Item

SUMMARY_KEY = {"pk": "PLEDGES", "sk": "SUMMARY"}
PLEDGE_WALL = "WALL#PLEDGES"
MESSAGE_WALL = "WALL#MESSAGES"
CONFIRMED_SIGNUPS = "SIGNUPS#confirmed"


def pledge_key(person: str) -> dict[str, str]:
    return {"pk": f"PLEDGE#{person}", "sk": "PLEDGE"}


def mailed_key(person: str) -> dict[str, str]:
    return {"pk": f"PLEDGE#{person}", "sk": "MAILED"}


def signup_key(person: str) -> dict[str, str]:
    return {"pk": f"SIGNUP#{person}", "sk": "SIGNUP"}


def token_key(digest: str) -> dict[str, str]:
    return {"pk": f"TOKEN#{digest}", "sk": "TOKEN"}


def message_key(message_id: str) -> dict[str, str]:
    return {"pk": f"MESSAGE#{message_id}", "sk": "MESSAGE"}


def message_queue(status: str) -> str:
    """The organisers' queue of messages in `status` (gsi2)."""
    return f"MESSAGES#{status}"


def role_attribute(role: str) -> str:
    """Counters are top-level numbers (`role_<role>`): DynamoDB's ADD works only at top level."""
    return f"role_{role}"


def counters_change(deltas: dict[str, int]) -> dict[str, Any]:
    """One summary update adding each delta to its counter, for a transaction."""
    names = {f"#c{n}": name for n, name in enumerate(deltas)}
    return {
        "Update": {
            "Key": SUMMARY_KEY,
            "UpdateExpression": "ADD " + ", ".join(f"#c{n} :c{n}" for n in range(len(deltas))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {f":c{n}": d for n, d in enumerate(deltas.values())},
        }
    }


def counters_update(role: str, delta: int) -> dict[str, Any]:
    """The summary update of a pledge added (+1) or erased (-1), for a transaction."""
    return counters_change({"count": delta, role_attribute(role): delta})


class SignupRecord(BaseModel):
    """A sign-up as stored (`SIGNUP#<person> / SIGNUP`)."""

    model_config = ConfigDict(frozen=True)

    person: str
    email: str
    name: str
    role: str | None = None
    organisation: str | None = None
    status: str = "pending"
    created_at: str | None = None
    confirmed_at: str | None = None
    unsubscribed_at: str | None = None

    @classmethod
    def of(cls, item: Item) -> SignupRecord:
        return cls(
            person=str(item["pk"]).removeprefix("SIGNUP#"),
            **{
                name: item[name]
                for name in cls.model_fields
                if name != "person" and item.get(name) is not None
            },
        )
