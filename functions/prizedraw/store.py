"""The draw's storage adapter: the table behind the `Store` port of `logic.py`.

Items (besides those of `shared.entries`):
- `WINNER#<entrant_id>` / `WIN`: one per person who holds a prize (pseudonym only), listed on
  gsi1 `WINNERS` / `<day>#<position>` so one Query finds every earlier winner. Put with
  `attribute_not_exists`: a person cannot hold two prizes, even if two days draw at once.
- `AUDIT#DRAW#<day>`: who drew or redrew, when (shared.audit).
The draw itself is ONE transaction: the record goes `open → drawn` on the `entry_seq` and
`prize_rev` it read, with every winner item, the audit line and the emails it owes (outbox
items, `shared.outbox`); concurrent or repeated triggers lose the condition. A redraw's commit
owes its emails the same way. `prize_rev` counts renames of the prize, so the emails a commit
carries always name the prize that commit froze.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared import entries as entries_mod
from shared import outbox
from shared.audit import audit_item
from shared.dynamo import Item, Table, TransactionConflict, assignments

WINNERS = "WINNERS"


class StaleRecord(Exception):
    """The draw record changed since it was read (drawn, new entry, or a concurrent redraw)."""


class WinnerTaken(Exception):
    """A picked person won on another day meanwhile."""


class PrizeFrozen(Exception):
    """The day is drawn: its prize is what the draw recorded."""


def _raise_for(exc: TransactionConflict) -> None:
    if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
        raise StaleRecord() from exc
    if any(r == "ConditionalCheckFailed" for r in exc.reasons[1:]):
        raise WinnerTaken() from exc
    raise StaleRecord() from exc  # contention (TransactionConflict): re-read and retry


def winner_item(entrant_id: str, day: str, position: int, now: str) -> Item:
    return {
        "pk": f"WINNER#{entrant_id}",
        "sk": "WIN",
        "entrant_id": entrant_id,
        "day": day,
        "position": position,
        "won_at": now,
        "gsi1pk": WINNERS,
        "gsi1sk": f"{day}#{position:03d}",
    }


class TableStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- reads --------------------------------------------------------------------------------
    def ensure(self, day: str, now: datetime) -> Item:
        return entries_mod.ensure_commitment(self.table, day, now=now)

    def record(self, day: str) -> Item | None:
        return self.table.get(entries_mod.day_pk(day), "DRAW", consistent=True)

    def records(self) -> list[Item]:
        return self.table.query_all("gsi1pk = :p", {":p": "DRAWS"}, index="gsi1")

    def seed(self, day: str) -> bytes:
        item = self.table.get(*entries_mod.seed_key(day), consistent=True)
        assert item is not None, "a draw record without its seed"
        return bytes.fromhex(item["seed"])

    def entrant_ids(self, day: str) -> list[str]:
        return entries_mod.entrant_ids(self.table, day)

    def entry(self, day: str, entrant_id: str) -> Item | None:
        return entries_mod.entry(self.table, day, entrant_id)

    def winners(self) -> dict[str, str]:
        """Every current prize holder → the day they won (one Query, a few hundred items)."""
        items = self.table.query_all("gsi1pk = :p", {":p": WINNERS}, index="gsi1")
        return {i["entrant_id"]: i["day"] for i in items}

    def awaiting(self, day: str) -> int:
        from shared.photos import awaiting_moderation

        return awaiting_moderation(self.table, day)

    def saved_entrants(self, day: str, entrants_hash: str) -> list[str]:
        return entries_mod.saved_entrants(self.table, day, entrants_hash)

    def contact_email(self, photo_id: str) -> str | None:
        from shared.photos import get_photo

        photo = get_photo(self.table, photo_id, consistent=True)
        return str(photo["email"]) if photo and photo.get("email") else None

    # -- writes -------------------------------------------------------------------------------
    def save_entrants(self, day: str, entrants_hash: str, entrant_ids: list[str]) -> int:
        return entries_mod.save_entrants(self.table, day, entrants_hash, entrant_ids)

    def commit_draw(
        self,
        day: str,
        *,
        seen_seq: int | None,
        prize_rev: int | None,
        fields: Mapping[str, Any],
        winners: list[tuple[str, int]],
        actor: str,
        now: datetime,
        at: str,
        effects: Sequence[outbox.Effect],
    ) -> None:
        """open → drawn, if still open at `seen_seq` and `prize_rev`, with the winner items and
        the owed `effects`, all or nothing (a lost answer is settled by `outbox.commit`)."""
        update = assignments(fields)
        names = {**update.names, "#status": "status", "#seq": "entry_seq", "#rev": "prize_rev"}
        values: dict[str, Any] = {**update.values, ":open": "open"}
        conditions = ["#status = :open"]
        for name, seen in (("#seq", seen_seq), ("#rev", prize_rev)):
            if seen is None:
                conditions.append(f"attribute_not_exists({name})")
            else:
                conditions.append(f"{name} = :{name[1:]}")
                values[f":{name[1:]}"] = seen
        operations: list[dict[str, Any]] = [{"Update": {
            "Key": {"pk": entries_mod.day_pk(day), "sk": "DRAW"},
            "UpdateExpression": update.expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }}]
        for entrant_id, position in winners:
            operations.append({"Put": {
                "Item": winner_item(entrant_id, day, position, at),
                "ConditionExpression": "attribute_not_exists(pk)",
            }})
        operations.append({"Put": {"Item": audit_item(
            f"DRAW#{day}", at=now, actor=actor, action="drawn",
            detail=f"{len(winners)} winner(s)",
        )}})
        try:
            outbox.transact(self.table, operations, effects, now=now)
        except TransactionConflict as exc:
            _raise_for(exc)

    def commit_redraw(
        self,
        day: str,
        *,
        version: int,
        fields: Mapping[str, Any],
        released: str | None,
        chosen: str,
        position: int,
        actor: str,
        now: datetime,
        at: str,
        reason: str,
        effects: Sequence[outbox.Effect],
    ) -> None:
        """Replace a position on the record at `version` (optimistic lock), with the prize items
        and the owed `effects`."""
        update = assignments(fields)
        update.sets.append("#version = #version + :one")
        names = {**update.names, "#status": "status", "#version": "version"}
        values: dict[str, Any] = {**update.values, ":drawn": "drawn", ":v": version, ":one": 1}
        operations: list[dict[str, Any]] = [{"Update": {
            "Key": {"pk": entries_mod.day_pk(day), "sk": "DRAW"},
            "UpdateExpression": update.expression,
            "ConditionExpression": "#status = :drawn AND #version = :v",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }}]
        if released is not None:  # the replaced holder no longer holds a prize
            operations.append({"Delete": {
                "Key": {"pk": f"WINNER#{released}", "sk": "WIN"},
                "ConditionExpression": "attribute_not_exists(pk) OR #d = :day",
                "ExpressionAttributeNames": {"#d": "day"},
                "ExpressionAttributeValues": {":day": day},
            }})
        operations.append({"Put": {
            "Item": winner_item(chosen, day, position, at),
            "ConditionExpression": "attribute_not_exists(pk)",
        }})
        operations.append({"Put": {"Item": audit_item(
            f"DRAW#{day}", at=now, actor=actor, action="redraw",
            detail=f"position {position}: {reason}",
        )}})
        try:
            outbox.transact(self.table, operations, effects, now=now)
        except TransactionConflict as exc:
            _raise_for(exc)

    def set_prize(self, day: str, prize: Mapping[str, str], *, actor: str, now: datetime) -> None:
        """Name the day's prize on its record while the record is open, with the audit line.
        PrizeFrozen once drawn: the draw's commit and this write are serialised on that one
        item, so the prize on a drawn record is the last one written before the draw. `prize_rev`
        moves with it: a draw that read the record before this write fails its condition."""
        operations: list[dict[str, Any]] = [{"Update": {
            "Key": {"pk": entries_mod.day_pk(day), "sk": "DRAW"},
            "UpdateExpression": "SET #prize = :prize ADD #rev :one",
            "ConditionExpression": "#status = :open",
            "ExpressionAttributeNames": {"#prize": "prize", "#status": "status",
                                         "#rev": "prize_rev"},
            "ExpressionAttributeValues": {":prize": dict(prize), ":open": "open", ":one": 1},
        }}, {"Put": {"Item": audit_item(
            f"DRAW#{day}", at=now, actor=actor, action="prize",
            detail=str(prize.get("title", "")),
        )}}]
        try:
            self.table.transact(operations)
        except TransactionConflict as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                raise PrizeFrozen() from exc
            raise StaleRecord() from exc  # contention with a draw or another edit: retry

    def claim_waiting_notice(self, day: str, at: str, effects: Sequence[outbox.Effect], *,
                             now: datetime) -> bool:
        """True once per day: this run claimed the "draw is waiting" notice, and its commit owes
        the organisers' `effects`."""
        operations = [{"Update": {
            "Key": {"pk": entries_mod.day_pk(day), "sk": "DRAW"},
            "UpdateExpression": "SET #w = :at",
            "ConditionExpression": "attribute_not_exists(#w) AND #s = :open",
            "ExpressionAttributeNames": {"#w": "waiting_notice_at", "#s": "status"},
            "ExpressionAttributeValues": {":at": at, ":open": "open"},
        }}]
        try:
            outbox.transact(self.table, operations, effects, now=now)
        except TransactionConflict:
            return False  # claimed by an earlier run (or drawn meanwhile)
        return True
