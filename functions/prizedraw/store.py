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

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from functions.prizedraw.errors import PrizeFrozen, StaleRecord, WinnerTaken
from functions.prizedraw.logic import DrawCommit, RedrawCommit
from shared import entries as entries_mod
from shared import outbox
from shared.audit import audit_item
from shared.dynamo import Item, Table, TransactionConflict, assignments
from shared.entries import Entry, StoredDraw, StoredPrize

WINNERS = "WINNERS"
# What a draw's commit writes on the record, and what a redraw's changes (besides `version`).
DRAWN_FIELDS = (
    "status",
    "seed",
    "entrants_hash",
    "entrant_count",
    "winners",
    "picked",
    "disqualified",
    "redraws",
    "next_k",
    "version",
    "excluded",
    "drawn_at",
    "trigger",
    "drawn_by",
    "pending_at_draw",
)
REDRAWN_FIELDS = ("winners", "picked", "disqualified", "redraws", "next_k", "last_redraw")


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


def _new_winner(entrant_id: str, day: str, position: int, at: str) -> dict[str, Any]:
    """The prize item of a new holder, as one operation: nobody holds two prizes."""
    return {
        "Put": {
            "Item": winner_item(entrant_id, day, position, at),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def _record_update(
    day: str,
    fields: dict[str, Any],
    *,
    condition: str,
    names: dict[str, str],
    values: dict[str, Any],
    also: Sequence[str] = (),
) -> dict[str, Any]:
    """The draw record's conditional update, as one operation: SET `fields` (and `also`)."""
    update = assignments(fields)
    update.sets.extend(also)
    return {
        "Update": {
            "Key": entries_mod.draw_key(day),
            "UpdateExpression": update.expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {**update.names, **names},
            "ExpressionAttributeValues": {**update.values, **values},
        }
    }


class TableStore:
    """The draw's repository: the day's record, its entries and the prize items, as typed
    records (`shared.entries`); items exist only in here and there."""

    def __init__(self, table: Table) -> None:
        self.table = table

    # -- reads --------------------------------------------------------------------------------
    def ensure(self, day: str, now: datetime) -> StoredDraw:
        return entries_mod.ensure_commitment(self.table, day, now=now)

    def record(self, day: str) -> StoredDraw | None:
        return entries_mod.get_draw(self.table, day)

    def records(self) -> list[StoredDraw]:
        return entries_mod.all_draws(self.table)

    def seed(self, day: str) -> bytes:
        item = self.table.get(*entries_mod.seed_key(day), consistent=True)
        assert item is not None, "a draw record without its seed"
        return bytes.fromhex(item["seed"])

    def entrant_ids(self, day: str) -> list[str]:
        return entries_mod.entrant_ids(self.table, day)

    def entry(self, day: str, entrant_id: str) -> Entry | None:
        return entries_mod.entry(self.table, day, entrant_id)

    def winners(self) -> dict[str, str]:
        """Every current prize holder → the day they won (one Query, a few hundred items)."""
        items = self.table.query_all("gsi1pk = :p", {":p": WINNERS}, index="gsi1")
        return {i["entrant_id"]: i["day"] for i in items}

    def awaiting(self, day: str) -> int:
        from shared.photos import awaiting_moderation

        return awaiting_moderation(self.table, day)

    def backlog_age(self, now: datetime) -> int:
        """Seconds the oldest photo has waited for an organiser (0 when none waits)."""
        from shared.photos import oldest_waiting

        return oldest_waiting(self.table, now)

    def saved_entrants(self, day: str, entrants_hash: str) -> list[str]:
        return entries_mod.saved_entrants(self.table, day, entrants_hash)

    def contact_email(self, photo_id: str) -> str | None:
        from shared.photos import get_photo

        photo = get_photo(self.table, photo_id, consistent=True)
        return str(photo["email"]) if photo and photo.get("email") else None

    # -- writes -------------------------------------------------------------------------------
    def save_entrants(self, day: str, entrants_hash: str, entrant_ids: list[str]) -> int:
        return entries_mod.save_entrants(self.table, day, entrants_hash, entrant_ids)

    def _commit(
        self, commit: DrawCommit, operations: list[dict[str, Any]], *, action: str, detail: str
    ) -> None:
        """`operations`, the audit line and the owed effects in one transaction (a lost
        answer is settled by `outbox.commit`)."""
        audit = audit_item(
            f"DRAW#{commit.record.day}",
            at=commit.now,
            actor=commit.actor,
            action=action,
            detail=detail,
        )
        try:
            outbox.transact(
                self.table, [*operations, {"Put": {"Item": audit}}], commit.effects, now=commit.now
            )
        except TransactionConflict as exc:
            _raise_for(exc)

    def commit_draw(self, commit: DrawCommit) -> None:
        """open → drawn, if still open at the `entry_seq` and `prize_rev` of `commit.read`, with
        the winner items and the owed effects, all or nothing."""
        read, drawn = commit.read, commit.record
        names = {"#status": "status", "#seq": "entry_seq", "#rev": "prize_rev"}
        values: dict[str, Any] = {":open": "open"}
        conditions = ["#status = :open"]
        for name, seen in (("#seq", read.entry_seq), ("#rev", read.prize_rev)):
            if seen is None:
                conditions.append(f"attribute_not_exists({name})")
            else:
                conditions.append(f"{name} = :{name[1:]}")
                values[f":{name[1:]}"] = seen
        at = str(drawn.drawn_at)
        operations = [
            _record_update(
                drawn.day,
                entries_mod.stored(drawn, DRAWN_FIELDS),
                condition=" AND ".join(conditions),
                names=names,
                values=values,
            ),
            *(_new_winner(w.entrant_id, drawn.day, w.position, at) for w in drawn.winners),
        ]
        self._commit(commit, operations, action="drawn", detail=f"{len(drawn.winners)} winner(s)")

    def commit_redraw(self, commit: RedrawCommit) -> None:
        """Replace a position on the record at `commit.read.version` (optimistic lock), with the
        prize items and the owed effects."""
        read, redrawn, position = commit.read, commit.record, commit.position
        day = redrawn.day
        released = read.winners[position - 1].entrant_id
        chosen = redrawn.winners[position - 1].entrant_id
        operations = [
            _record_update(
                day,
                entries_mod.stored(redrawn, REDRAWN_FIELDS),
                condition="#status = :drawn AND #version = :v",
                names={"#status": "status", "#version": "version"},
                values={":drawn": "drawn", ":v": read.version, ":one": 1},
                also=["#version = #version + :one"],
            ),
            # the replaced holder no longer holds a prize
            {
                "Delete": {
                    "Key": {"pk": f"WINNER#{released}", "sk": "WIN"},
                    "ConditionExpression": "attribute_not_exists(pk) OR #d = :day",
                    "ExpressionAttributeNames": {"#d": "day"},
                    "ExpressionAttributeValues": {":day": day},
                }
            },
            _new_winner(chosen, day, position, redrawn.redraws[-1].at),
        ]
        self._commit(
            commit, operations, action="redraw", detail=f"position {position}: {commit.reason}"
        )

    def set_prize(self, day: str, prize: StoredPrize, *, actor: str, now: datetime) -> None:
        """Name the day's prize on its record while the record is open, with the audit line.
        PrizeFrozen once drawn: the draw's commit and this write are serialised on that one
        item, so the prize on a drawn record is the last one written before the draw. `prize_rev`
        moves with it: a draw that read the record before this write fails its condition."""
        operations: list[dict[str, Any]] = [
            {
                "Update": {
                    "Key": entries_mod.draw_key(day),
                    "UpdateExpression": "SET #prize = :prize ADD #rev :one",
                    "ConditionExpression": "#status = :open",
                    "ExpressionAttributeNames": {
                        "#prize": "prize",
                        "#status": "status",
                        "#rev": "prize_rev",
                    },
                    "ExpressionAttributeValues": {
                        ":prize": prize.model_dump(exclude_none=True),
                        ":open": "open",
                        ":one": 1,
                    },
                }
            },
            {
                "Put": {
                    "Item": audit_item(
                        f"DRAW#{day}",
                        at=now,
                        actor=actor,
                        action="prize",
                        detail=prize.title,
                    )
                }
            },
        ]
        try:
            self.table.transact(operations)
        except TransactionConflict as exc:
            if exc.reasons and exc.reasons[0] == "ConditionalCheckFailed":
                raise PrizeFrozen() from exc
            raise StaleRecord() from exc  # contention with a draw or another edit: retry

    def claim_waiting_notice(
        self, day: str, at: str, effects: Sequence[outbox.Effect], *, now: datetime
    ) -> bool:
        """True once per day: this run claimed the "draw is waiting" notice, and its commit owes
        the organisers' `effects`."""
        operations = [
            {
                "Update": {
                    "Key": entries_mod.draw_key(day),
                    "UpdateExpression": "SET #w = :at",
                    "ConditionExpression": "attribute_not_exists(#w) AND #s = :open",
                    "ExpressionAttributeNames": {"#w": "waiting_notice_at", "#s": "status"},
                    "ExpressionAttributeValues": {":at": at, ":open": "open"},
                }
            }
        ]
        try:
            outbox.transact(self.table, operations, effects, now=now)
        except TransactionConflict:
            return False  # claimed by an earlier run (or drawn meanwhile)
        return True
