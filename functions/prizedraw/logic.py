"""The prize draw's domain: list and show draws, draw a day exactly once, redraw a position.

No boto3 here: storage and email come in through the `Store` and `Notifier` ports (`store.py`,
`notify.py`). The organiser route and the hourly schedule both call `run_draw`. Emails are
effects (`shared.outbox`) the draw's own commit writes, so a made draw always owes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from functions.prizedraw import algorithm
from functions.prizedraw.models import (
    DrawList,
    DrawRecord,
    DrawSummary,
    Entrants,
    Prize,
    PrizeRequest,
)
from functions.prizedraw.store import PrizeFrozen, StaleRecord, WinnerTaken
from shared import outbox
from shared.calendar import EventCalendar
from shared.editions import edition_of
from shared.errors import Conflict, Invalid, NotFound
from shared.observability import logger
from shared.types import iso

Item = dict[str, Any]
Trigger = Literal["schedule", "organiser"]
MAX_ATTEMPTS = 5  # re-reads after losing a race to a new entry or another day's winner
# Re-reads after a prize rename or contention landed on the record: renames are human-paced,
# and such a retry only re-reads the record, so a draw gets through between them.
MAX_RECORD_RETRIES = 30


class Store(Protocol):
    def ensure(self, day: str, now: datetime) -> Item: ...
    def record(self, day: str) -> Item | None: ...
    def records(self) -> list[Item]: ...
    def seed(self, day: str) -> bytes: ...
    def entrant_ids(self, day: str) -> list[str]: ...
    def entry(self, day: str, entrant_id: str) -> Item | None: ...
    def winners(self) -> dict[str, str]: ...
    def awaiting(self, day: str) -> int: ...
    def saved_entrants(self, day: str, entrants_hash: str) -> list[str]: ...
    def save_entrants(self, day: str, entrants_hash: str, entrant_ids: list[str]) -> int: ...
    def commit_draw(self, day: str, *, seen_seq: int | None, prize_rev: int | None,
                    fields: dict[str, Any], winners: list[tuple[str, int]], actor: str,
                    now: datetime, at: str, effects: list[outbox.Effect]) -> None: ...
    def commit_redraw(self, day: str, *, version: int, fields: dict[str, Any],
                      released: str | None, chosen: str, position: int, actor: str,
                      now: datetime, at: str, reason: str,
                      effects: list[outbox.Effect]) -> None: ...
    def claim_waiting_notice(self, day: str, at: str, effects: list[outbox.Effect], *,
                             now: datetime) -> bool: ...
    def set_prize(self, day: str, prize: dict[str, str], *, actor: str,
                  now: datetime) -> None: ...


class Notifier(Protocol):
    """The emails each change owes, as effects for its commit (nothing is sent here)."""

    def drawn(self, record: Item) -> list[outbox.Effect]: ...
    def redrawn(self, record: Item, position: int) -> list[outbox.Effect]: ...
    def waiting(self, day: str, pending: int, deadline: datetime) -> list[outbox.Effect]: ...


@dataclass(frozen=True)
class Settings:
    winners_per_day: int = 1
    excluded_ids: frozenset[str] = field(default_factory=frozenset)
    deadline_hours: int = 36


class AlreadyDrawn(Conflict):
    pass


# -- shapes -------------------------------------------------------------------------------------
def _drawn(item: Item) -> bool:
    return item.get("status") == "drawn"


def to_prize(item: Item) -> Prize | None:
    prize = item.get("prize")
    if not prize:
        return None
    return Prize(title=prize["title"], sponsor=prize.get("sponsor"),
                 description=prize.get("description"))


def to_record(item: Item) -> DrawRecord:
    drawn = _drawn(item)
    return DrawRecord.model_validate({
        "day": item["day"],
        "status": item["status"],
        "commitment": item["commitment"],
        "seed": item.get("seed") if drawn else None,  # never before the draw
        "entrants_hash": item.get("entrants_hash") if drawn else None,
        "entrant_count": item.get("entrant_count") if drawn else None,
        "winners": item.get("winners", []) if drawn else [],
        "redraws": item.get("redraws", []) if drawn else [],
        "drawn_at": item.get("drawn_at") if drawn else None,
        "trigger": item.get("trigger") if drawn else None,
        "pending_at_draw": item.get("pending_at_draw") if drawn else None,
        "prize": to_prize(item),
    })


def to_summary(item: Item) -> DrawSummary:
    winners = item.get("winners", []) if _drawn(item) else []
    return DrawSummary.model_validate({
        "day": item["day"],
        "status": item["status"],
        "commitment": item["commitment"],
        "winners": [
            {k: w[k] for k in ("position", "display_name", "school", "photo_id")} for w in winners
        ],
        "prize": to_prize(item),
    })


def _event_day(calendar: EventCalendar, day: str) -> bool:
    return calendar.is_event_day(date.fromisoformat(day))


def _public_day(calendar: EventCalendar, day: str) -> None:
    if not _event_day(calendar, day):
        raise NotFound("There is no draw on that day: it is not a day of the event.")


# -- public reads --------------------------------------------------------------------------------
def list_draws(store: Store, calendar: EventCalendar, now: datetime,
               edition: str | None = None) -> DrawList:
    """Every event day, each with its commitment (created here if new: public before entries).

    Another `edition` than the configured one is an archive: the draws recorded then, as they
    are (their public record has no TTL), never created now.
    """
    if edition is not None and edition != edition_of(calendar.start):
        return DrawList(items=[to_summary(r) for r in sorted(store.records(), key=_day)
                               if edition_of(r["day"]) == edition])
    found = {r["day"]: r for r in store.records()}
    items = []
    for d in calendar.days():
        day = d.isoformat()
        item = found.get(day) or store.ensure(day, now)
        items.append(to_summary(item))
    return DrawList(items=items)


def get_draw(store: Store, calendar: EventCalendar, day: str, now: datetime) -> DrawRecord:
    if not _event_day(calendar, day) and edition_of(day) != edition_of(calendar.start):
        archived = store.record(day)  # an earlier edition's draw: its public record, if any
        if archived is None:
            raise NotFound("There is no draw on that day: it is not a day of the event.")
        return to_record(archived)
    _public_day(calendar, day)
    return to_record(store.ensure(day, now))


def _day(record: Item) -> str:
    return str(record["day"])


def _eligible(
    store: Store, settings: Settings, day: str, entrant_ids: list[str]
) -> tuple[list[str], list[str]]:
    """(eligible, excluded) entrant ids, each sorted: prize holders of other days and the
    configured exclusions (organisers) are out."""
    holders = store.winners()
    ids = set(entrant_ids)
    excluded = {
        i for i in ids
        if (i in holders and holders[i] != day) or i in settings.excluded_ids
    }
    return sorted(ids - excluded), sorted(excluded)


def get_entrants(
    store: Store, calendar: EventCalendar, settings: Settings, day: str, now: datetime
) -> Entrants:
    """A drawn day: exactly the list its `entrants_hash` was computed over. An open day: the
    eligible entrants as they stand now."""
    _public_day(calendar, day)
    item = store.ensure(day, now)
    if _drawn(item):
        return Entrants(entrants=store.saved_entrants(day, item["entrants_hash"]))
    eligible, _ = _eligible(store, settings, day, store.entrant_ids(day))
    return Entrants(entrants=eligible)


# -- prizes ---------------------------------------------------------------------------------------
def set_prize(
    store: Store, calendar: EventCalendar, day: str, prize: PrizeRequest, *, actor: str,
    now: datetime,
) -> Prize:
    """Name (or rename) the day's prize; AlreadyDrawn once the draw has frozen it."""
    _public_day(calendar, day)
    store.ensure(day, now)  # the record the prize lives on, and the draw conditions on
    stored = prize.model_dump(exclude_none=True)
    for _attempt in range(MAX_ATTEMPTS):
        try:
            store.set_prize(day, stored, actor=actor, now=now)
        except PrizeFrozen:
            raise AlreadyDrawn(
                f"The draw for {day} has been made: its prize is final.") from None
        except StaleRecord:  # a draw or another edit was writing the record: try again
            continue
        logger.info("prize named", day=day)
        return Prize(title=prize.title, sponsor=prize.sponsor, description=prize.description)
    raise Conflict("The draw record is busy: try again in a moment.")


# -- drawing --------------------------------------------------------------------------------------
def _winner(row: Item, position: int) -> Item:
    return {
        "position": position,
        "entrant_id": row["entrant_id"],
        "display_name": row["display_name"],
        "school": row["school"],
        "photo_id": row["photo_id"],
    }


@dataclass(frozen=True)
class _Plan:
    """The draw over the entries as of `seen_seq`."""

    seen_seq: int | None
    state: algorithm.DrawState
    winners: list[Item]
    excluded: list[str]


def _plan(store: Store, settings: Settings, day: str, seed: bytes,
          seen_seq: int | None) -> _Plan | None:
    """Draw over the current entries; None when a winner's entry is gone (erased meanwhile)."""
    eligible, excluded = _eligible(store, settings, day, store.entrant_ids(day))
    state = algorithm.draw(seed, eligible, settings.winners_per_day)
    rows = [store.entry(day, e) for e in state.winners]  # details of the winners only
    if any(r is None for r in rows):
        return None
    store.save_entrants(day, state.hash_hex, state.entrants)
    winners = [_winner(r, n) for n, r in enumerate(rows, start=1) if r is not None]
    return _Plan(seen_seq=seen_seq, state=state, winners=winners, excluded=excluded)


def run_draw(
    store: Store,
    notifier: Notifier,
    settings: Settings,
    calendar: EventCalendar,
    day: str,
    *,
    trigger: Trigger,
    force: bool,
    actor: str,
    now: datetime,
) -> DrawRecord:
    """Draw `day` once. AlreadyDrawn (409) for every trigger but the one that commits."""
    if not _event_day(calendar, day):
        raise Invalid("That day is not a day of the event.",
                      errors=[{"loc": ["body", "day"], "msg": "not a day of the event"}])
    item = store.ensure(day, now)
    if _drawn(item):
        raise AlreadyDrawn(f"The draw for {day} has already been made.")
    pending = store.awaiting(day)
    if pending and not force:
        raise Conflict(
            f"{pending} photo(s) of {day} still await moderation: decide them first, "
            "or draw with force."
        )
    seed = store.seed(day)
    at = iso(now)
    plan: _Plan | None = None
    races = retries = 0
    while races < MAX_ATTEMPTS and retries < MAX_RECORD_RETRIES:
        if races or retries:
            fresh = store.record(day)
            assert fresh is not None
            item = fresh
            if _drawn(item):
                raise AlreadyDrawn(f"The draw for {day} has already been made.")
        if plan is None or plan.seen_seq != item.get("entry_seq"):
            if plan is not None:  # lost to a new entry: draw again over the new list
                logger.info("draw lost a race, re-reading", day=day, attempt=races)
                races, plan = races + 1, None
                continue
            plan = _plan(store, settings, day, seed, item.get("entry_seq"))
            if plan is None:  # an entry was erased since the ids were read: read again
                races += 1
                continue
        fields: dict[str, Any] = {
            "status": "drawn",
            "seed": seed.hex(),
            "entrants_hash": plan.state.hash_hex,
            "entrant_count": len(plan.state.entrants),
            "winners": plan.winners,
            "picked": list(plan.state.picked),
            "disqualified": [],
            "redraws": [],
            "next_k": plan.state.next_k,
            "version": 1,
            "excluded": plan.excluded,
            "drawn_at": at,
            "trigger": trigger,
            "drawn_by": actor,
            "pending_at_draw": pending,
        }
        # The commit is conditioned on the prize_rev read with `item`: the emails it owes name
        # the prize it freezes.
        drawn = {**item, **fields}
        try:
            store.commit_draw(
                day, seen_seq=plan.seen_seq, prize_rev=item.get("prize_rev"), fields=fields,
                winners=[(w["entrant_id"], w["position"]) for w in plan.winners],
                actor=actor, now=now, at=at, effects=notifier.drawn(drawn),
            )
        except WinnerTaken:  # someone picked won another day meanwhile: draw again
            logger.info("draw lost a race, re-reading", day=day, attempt=races)
            races, plan = races + 1, None
            continue
        except StaleRecord:  # a new entry (counted above), a prize rename or contention
            retries += 1
            continue
        logger.info("day drawn", day=day, trigger=trigger, entrants=len(plan.state.entrants),
                    winners=len(plan.winners), pending=pending)
        return to_record(drawn)
    raise Conflict("The draw is busy (entries are still arriving): try again in a moment.")


def redraw(
    store: Store,
    notifier: Notifier,
    calendar: EventCalendar,
    day: str,
    *,
    position: int,
    reason: str,
    actor: str,
    now: datetime,
) -> DrawRecord:
    """Replace the holder of `position` with the next unused k; the record keeps why."""
    _public_day(calendar, day)
    at = iso(now)
    for _attempt in range(MAX_ATTEMPTS):
        item = store.record(day)
        if item is None or not _drawn(item):
            raise Conflict(f"The draw for {day} has not been made yet.")
        winners: list[Item] = [dict(w) for w in item["winners"]]
        if position > len(winners):
            raise Invalid(f"The draw for {day} has no position {position}.",
                          errors=[{"loc": ["body", "position"], "msg": "no such position"}])
        state = algorithm.DrawState(
            entrants=store.saved_entrants(day, item["entrants_hash"]),
            hash_hex=item["entrants_hash"],
            seed=bytes.fromhex(item["seed"]),
            winners=[w["entrant_id"] for w in winners],
            picked=list(item.get("picked", [])),
            disqualified=list(item.get("disqualified", [])),
            next_k=int(item["next_k"]),
        )
        released = state.winners[position - 1]
        holders = store.winners()
        added: list[Item] = []
        why = reason
        while True:
            try:
                replaced, chosen = state.redraw(position)
            except ValueError:
                raise Conflict(f"No entrant of {day} is left to draw.") from None
            added.append({"position": position, "replaced_entrant_id": replaced,
                          "reason": why, "at": at})
            row = store.entry(day, chosen)
            # Published like any redraw, so the record still replays: a person holds one prize,
            # and an erased entry cannot be contacted.
            if chosen in holders and holders[chosen] != day:
                why = "already holds a prize from another day"
            elif row is None:
                why = "entry withdrawn"
            else:
                break
        winners[position - 1] = _winner(row, position)
        fields: dict[str, Any] = {
            "winners": winners,
            "picked": state.picked,
            "disqualified": state.disqualified,
            "redraws": list(item.get("redraws", [])) + added,
            "next_k": state.next_k,
        }
        updated = {**item, **fields, "version": int(item["version"]) + 1}
        try:
            store.commit_redraw(
                day, version=int(item["version"]), fields=fields, released=released,
                chosen=chosen, position=position, actor=actor, now=now, at=at, reason=reason,
                effects=notifier.redrawn(updated, position),
            )
        except (StaleRecord, WinnerTaken):
            continue
        logger.info("position redrawn", day=day, position=position)
        return to_record(updated)
    raise Conflict("The draw record is busy: try again in a moment.")


# -- the hourly schedule --------------------------------------------------------------------------
def scheduled(
    store: Store,
    notifier: Notifier,
    settings: Settings,
    calendar: EventCalendar,
    now: datetime,
) -> dict[str, list[str]]:
    """Draw every ended, undrawn event day whose moderation queue is empty or whose deadline has
    passed; the others wait for a later hour (organisers are told once)."""
    found = {r["day"]: r for r in store.records()}
    result: dict[str, list[str]] = {"drawn": [], "waiting": [], "already": []}
    for d in calendar.ended_days(now):
        day = d.isoformat()
        known = found.get(day)
        if known and _drawn(known):
            result["already"].append(day)
            continue
        pending = store.awaiting(day)
        deadline = calendar.day_ends_at(d) + timedelta(hours=settings.deadline_hours)
        if pending and now < deadline:
            result["waiting"].append(day)
            store.claim_waiting_notice(day, iso(now), notifier.waiting(day, pending, deadline),
                                       now=now)
            continue
        try:
            run_draw(store, notifier, settings, calendar, day, trigger="schedule", force=True,
                     actor="schedule", now=now)
        except AlreadyDrawn:  # a duplicate delivery or an organiser got there first
            result["already"].append(day)
        except Conflict:  # busy: the next hour tries again
            result["waiting"].append(day)
        else:
            result["drawn"].append(day)
    return result
