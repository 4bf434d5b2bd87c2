"""The prize draw's domain: list and show draws, draw a day exactly once, redraw a position.

No boto3 and no adapter here: storage and email come in through the `Store` and `Notifier`
ports (`store.py`, `notify.py`), bundled with the settings in `Ports` (built once per cold start
by `ports.py`). The organiser route and the hourly schedule both call `run_draw`. Emails are
effects (`shared.outbox`) the draw's own commit writes, so a made draw always owes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol, TypeVar

from functions.prizedraw import algorithm
from functions.prizedraw.errors import PrizeFrozen, StaleRecord, WinnerTaken
from functions.prizedraw.models import (
    DrawList,
    DrawRecord,
    DrawSummary,
    Entrants,
    Prize,
    PrizeRequest,
    PublicWinner,
    Redraw,
    Winner,
)
from shared import outbox
from shared.calendar import EventCalendar
from shared.editions import edition_of
from shared.entries import Entry, RedrawMark, StoredDraw, StoredPrize, StoredRedraw, StoredWinner
from shared.errors import Conflict, Invalid, NotFound
from shared.observability import logger
from shared.types import iso

Trigger = Literal["schedule", "organiser"]
Outcome = Literal["drawn", "waiting", "already"]
MAX_ATTEMPTS = 5  # re-reads after losing a race to a new entry or another day's winner
# Re-reads after a prize rename or contention landed on the record: renames are human-paced,
# and such a retry only re-reads the record, so a draw gets through between them.
MAX_RECORD_RETRIES = 30
# The redraw route's body has no idempotency key (API.md): the same organiser asking again for
# the same position with the same reason this soon after it was redrawn is a retry (of an
# answer lost or a 503), answered with the record as it stands, not a second redraw.
REDRAW_RETRY_WINDOW = timedelta(minutes=5)
BUSY = "The draw record is busy: try again in a moment."
T = TypeVar("T")


@dataclass(frozen=True)
class DrawCommit:
    """A draw as committed: the new `record`, on the condition of the one `read` before it,
    with `actor`'s audit line at `now` and the emails (`effects`) it owes."""

    read: StoredDraw
    record: StoredDraw
    actor: str
    now: datetime
    effects: Sequence[outbox.Effect]


@dataclass(frozen=True)
class RedrawCommit(DrawCommit):
    """A redraw as committed: which `position` got a new holder, and why (the audit says)."""

    position: int
    reason: str


class Store(Protocol):
    def ensure(self, day: str, now: datetime) -> StoredDraw: ...
    def record(self, day: str) -> StoredDraw | None: ...
    def records(self) -> list[StoredDraw]: ...
    def seed(self, day: str) -> bytes: ...
    def entrant_ids(self, day: str) -> list[str]: ...
    def entry(self, day: str, entrant_id: str) -> Entry | None: ...
    def winners(self) -> dict[str, str]: ...
    def awaiting(self, day: str) -> int: ...
    def backlog_age(self, now: datetime) -> int: ...
    def saved_entrants(self, day: str, entrants_hash: str) -> list[str]: ...
    def save_entrants(self, day: str, entrants_hash: str, entrant_ids: list[str]) -> int: ...
    def commit_draw(self, commit: DrawCommit) -> None: ...
    def commit_redraw(self, commit: RedrawCommit) -> None: ...
    def claim_waiting_notice(
        self, day: str, at: str, effects: list[outbox.Effect], *, now: datetime
    ) -> bool: ...
    def set_prize(self, day: str, prize: StoredPrize, *, actor: str, now: datetime) -> None: ...


class Notifier(Protocol):
    """The emails each change owes, as effects for its commit (nothing is sent here)."""

    def drawn(self, record: StoredDraw) -> list[outbox.Effect]: ...
    def redrawn(self, record: StoredDraw, position: int) -> list[outbox.Effect]: ...
    def waiting(self, day: str, pending: int, deadline: datetime) -> list[outbox.Effect]: ...


@dataclass(frozen=True)
class Settings:
    winners_per_day: int = 1
    deadline_hours: int = 36
    # Who may never win (organisers, configured exclusions), as pseudonyms: keyed with the server
    # secret, so worked out when a draw asks (the secret is read once per cold start).
    excluded_ids: Callable[[], frozenset[str]] = frozenset


@dataclass(frozen=True)
class Ports:
    """What both entry points hand the domain: the draw's storage, its emails, its settings."""

    draws: Store
    notifier: Notifier
    settings: Settings
    calendar: EventCalendar


class AlreadyDrawn(Conflict):
    pass


# -- shapes -------------------------------------------------------------------------------------
def to_prize(prize: StoredPrize | None) -> Prize | None:
    if prize is None:
        return None
    return Prize(title=prize.title, sponsor=prize.sponsor, description=prize.description)


def to_record(draw: StoredDraw) -> DrawRecord:
    """The public audit record: nothing of the drawn state before the draw (no seed)."""
    if not draw.drawn:
        return DrawRecord(
            day=draw.day,
            status="open",
            commitment=draw.commitment,
            seed=None,
            entrants_hash=None,
            entrant_count=None,
            winners=[],
            redraws=[],
            drawn_at=None,
            trigger=None,
            prize=to_prize(draw.prize),
        )
    return DrawRecord(
        day=draw.day,
        status="drawn",
        commitment=draw.commitment,
        seed=draw.seed,
        entrants_hash=draw.entrants_hash,
        entrant_count=draw.entrant_count,
        winners=[Winner.model_validate(w.model_dump()) for w in draw.winners],
        redraws=[Redraw.model_validate(r.model_dump()) for r in draw.redraws],
        drawn_at=draw.drawn_at,
        trigger=draw.trigger,
        pending_at_draw=draw.pending_at_draw,
        prize=to_prize(draw.prize),
    )


def to_summary(draw: StoredDraw) -> DrawSummary:
    winners = draw.winners if draw.drawn else ()
    return DrawSummary(
        day=draw.day,
        status=draw.status,
        commitment=draw.commitment,
        winners=[
            PublicWinner.model_validate(w.model_dump(exclude={"entrant_id"})) for w in winners
        ],
        prize=to_prize(draw.prize),
    )


def _event_day(calendar: EventCalendar, day: str) -> bool:
    return calendar.is_event_day(date.fromisoformat(day))


def _public_day(calendar: EventCalendar, day: str) -> None:
    if not _event_day(calendar, day):
        raise NotFound("There is no draw on that day: it is not a day of the event.")


def _retrying(attempt: Callable[[], T | None], *, tries: int = MAX_ATTEMPTS) -> T:
    """`attempt` until it returns something (None: it lost a race and reads again)."""
    for _ in range(tries):
        result = attempt()
        if result is not None:
            return result
    raise Conflict(BUSY)


# -- public reads --------------------------------------------------------------------------------
def list_draws(ports: Ports, now: datetime, edition: str | None = None) -> DrawList:
    """Every event day, each with its commitment (created here if new: public before entries).

    Another `edition` than the configured one is an archive: the draws recorded then, as they
    are (their public record has no TTL), never created now.
    """
    store, calendar = ports.draws, ports.calendar
    if edition is not None and edition != edition_of(calendar.start):
        return DrawList(
            items=[
                to_summary(r)
                for r in sorted(store.records(), key=_day)
                if edition_of(r.day) == edition
            ]
        )
    found = {r.day: r for r in store.records()}
    items = []
    for d in calendar.days():
        day = d.isoformat()
        items.append(to_summary(found.get(day) or store.ensure(day, now)))
    return DrawList(items=items)


def _archived(ports: Ports, day: str) -> StoredDraw | None:
    """An earlier edition's draw of `day`, as kept; None when `day` is the current edition's."""
    calendar = ports.calendar
    if _event_day(calendar, day) or edition_of(day) == edition_of(calendar.start):
        return None
    archived = ports.draws.record(day)
    if archived is None:
        raise NotFound("There is no draw on that day: it is not a day of the event.")
    return archived


def get_draw(ports: Ports, day: str, now: datetime) -> DrawRecord:
    archived = _archived(ports, day)
    if archived is not None:  # an earlier edition's draw: its public record
        return to_record(archived)
    _public_day(ports.calendar, day)
    return to_record(ports.draws.ensure(day, now))


def _day(record: StoredDraw) -> str:
    return record.day


def _eligible(
    store: Store, settings: Settings, day: str, entrant_ids: list[str]
) -> tuple[list[str], list[str]]:
    """(eligible, excluded) entrant ids, each sorted: prize holders of other days and the
    configured exclusions (organisers) are out."""
    holders, never = store.winners(), settings.excluded_ids()
    ids = set(entrant_ids)
    excluded = {i for i in ids if (i in holders and holders[i] != day) or i in never}
    return sorted(ids - excluded), sorted(excluded)


def get_entrants(ports: Ports, day: str, now: datetime) -> Entrants:
    """A drawn day: exactly the list its `entrants_hash` was computed over (an earlier
    edition's too: the list is kept with the draw's public record). An open day: the eligible
    entrants as they stand now."""
    store = ports.draws
    archived = _archived(ports, day)
    if archived is not None:  # an earlier edition's: only a drawn day has a list to verify
        if not (archived.drawn and archived.entrants_hash):
            raise NotFound("That day's draw was never made: it has no entrants to show.")
        return Entrants(entrants=store.saved_entrants(day, archived.entrants_hash))
    _public_day(ports.calendar, day)
    record = store.ensure(day, now)
    if record.drawn and record.entrants_hash:
        return Entrants(entrants=store.saved_entrants(day, record.entrants_hash))
    eligible, _ = _eligible(store, ports.settings, day, store.entrant_ids(day))
    return Entrants(entrants=eligible)


# -- prizes ---------------------------------------------------------------------------------------
def set_prize(ports: Ports, day: str, prize: PrizeRequest, *, actor: str, now: datetime) -> Prize:
    """Name (or rename) the day's prize; AlreadyDrawn once the draw has frozen it."""
    _public_day(ports.calendar, day)
    ports.draws.ensure(day, now)  # the record the prize lives on, and the draw conditions on
    stored = StoredPrize(title=prize.title, sponsor=prize.sponsor, description=prize.description)

    def attempt() -> Prize | None:
        try:
            ports.draws.set_prize(day, stored, actor=actor, now=now)
        except PrizeFrozen:
            raise AlreadyDrawn(f"The draw for {day} has been made: its prize is final.") from None
        except StaleRecord:  # a draw or another edit was writing the record: try again
            return None
        logger.info("prize named", day=day)
        return to_prize(stored)

    return _retrying(attempt)


# -- drawing --------------------------------------------------------------------------------------
def _winner(entry: Entry, position: int) -> StoredWinner:
    return StoredWinner(
        position=position,
        entrant_id=entry.entrant_id,
        display_name=entry.display_name,
        school=entry.school,
        photo_id=entry.photo_id,
    )


@dataclass(frozen=True)
class _Plan:
    """The draw over the entries as of `seen_seq`."""

    seen_seq: int | None
    state: algorithm.DrawState
    winners: tuple[StoredWinner, ...]
    excluded: list[str]


def _plan(ports: Ports, day: str, seed: bytes, seen_seq: int | None) -> _Plan | None:
    """Draw over the current entries; None when a winner's entry is gone (erased meanwhile)."""
    store = ports.draws
    eligible, excluded = _eligible(store, ports.settings, day, store.entrant_ids(day))
    state = algorithm.draw(seed, eligible, ports.settings.winners_per_day)
    found = [store.entry(day, e) for e in state.winners]  # details of the winners only
    rows = [r for r in found if r is not None]
    if len(rows) != len(found):
        return None
    store.save_entrants(day, state.hash_hex, state.entrants)
    winners = tuple(_winner(r, n) for n, r in enumerate(rows, start=1))
    return _Plan(seen_seq=seen_seq, state=state, winners=winners, excluded=excluded)


@dataclass
class _Attempts:
    """What a draw may spend re-reading: races (a new entry, a winner taken or erased) and
    record retries (a prize rename or contention)."""

    races: int = 0
    retries: int = 0

    @property
    def started(self) -> bool:
        return bool(self.races or self.retries)

    @property
    def spent(self) -> bool:
        return self.races >= MAX_ATTEMPTS or self.retries >= MAX_RECORD_RETRIES


def _undrawn(store: Store, day: str) -> StoredDraw:
    record = store.record(day)
    assert record is not None, "a day read before has its record"
    if record.drawn:
        raise AlreadyDrawn(f"The draw for {day} has already been made.")
    return record


def _checked_draw(ports: Ports, day: str, *, force: bool, now: datetime) -> tuple[StoredDraw, int]:
    """The record of a day that may be drawn now, and the number of its photos still pending."""
    if not _event_day(ports.calendar, day):
        raise Invalid(
            "That day is not a day of the event.",
            errors=[{"loc": ["body", "day"], "msg": "not a day of the event"}],
        )
    record = ports.draws.ensure(day, now)
    if record.drawn:
        raise AlreadyDrawn(f"The draw for {day} has already been made.")
    pending = ports.draws.awaiting(day)
    if pending and not force:
        raise Conflict(
            f"{pending} photo(s) of {day} still await moderation: decide them first, "
            "or draw with force. (A photo just approved counts until it is published, a few "
            "seconds later: then try again.)"
        )
    return record, pending


def _current_plan(
    ports: Ports, record: StoredDraw, seed: bytes, plan: _Plan | None, attempts: _Attempts
) -> _Plan | None:
    """`plan` if it still covers every entry; else a new one (None: read again)."""
    if plan is not None and plan.seen_seq == record.entry_seq:
        return plan
    if plan is not None:  # lost to a new entry: draw again over the new list
        logger.info("draw lost a race, re-reading", day=record.day, attempt=attempts.races)
        attempts.races += 1
        return None
    fresh = _plan(ports, record.day, seed, record.entry_seq)
    if fresh is None:  # an entry was erased since the ids were read: read again
        attempts.races += 1
    return fresh


def _drawn(
    record: StoredDraw,
    plan: _Plan,
    seed: bytes,
    *,
    trigger: Trigger,
    actor: str,
    pending: int,
    at: str,
) -> StoredDraw:
    return record.model_copy(
        update={
            "status": "drawn",
            "seed": seed.hex(),
            "entrants_hash": plan.state.hash_hex,
            "entrant_count": len(plan.state.entrants),
            "winners": plan.winners,
            "picked": tuple(plan.state.picked),
            "disqualified": (),
            "redraws": (),
            "next_k": plan.state.next_k,
            "version": 1,
            "excluded": tuple(plan.excluded),
            "drawn_at": at,
            "trigger": trigger,
            "drawn_by": actor,
            "pending_at_draw": pending,
        }
    )


def run_draw(
    ports: Ports, day: str, *, trigger: Trigger, force: bool, actor: str, now: datetime
) -> DrawRecord:
    """Draw `day` once. AlreadyDrawn (409) for every trigger but the one that commits."""
    record, pending = _checked_draw(ports, day, force=force, now=now)
    seed = ports.draws.seed(day)
    attempts, plan = _Attempts(), None
    while not attempts.spent:
        # The commit is conditioned on the `entry_seq` and `prize_rev` read with `record`: the
        # emails it owes name the prize it freezes.
        if attempts.started:
            record = _undrawn(ports.draws, day)
        plan = _current_plan(ports, record, seed, plan, attempts)
        if plan is None:
            continue
        drawn = _drawn(
            record, plan, seed, trigger=trigger, actor=actor, pending=pending, at=iso(now)
        )
        owed = ports.notifier.drawn(drawn)
        try:
            ports.draws.commit_draw(DrawCommit(record, drawn, actor=actor, now=now, effects=owed))
        except WinnerTaken:  # someone picked won another day meanwhile: draw again
            logger.info("draw lost a race, re-reading", day=day, attempt=attempts.races)
            attempts.races, plan = attempts.races + 1, None
            continue
        except StaleRecord:  # a new entry (counted above), a prize rename or contention
            attempts.retries += 1
            continue
        logger.info(
            "day drawn",
            day=day,
            trigger=trigger,
            entrants=len(plan.state.entrants),
            winners=len(plan.winners),
            pending=pending,
        )
        return to_record(drawn)
    raise Conflict("The draw is busy (entries are still arriving): try again in a moment.")


# -- redraws --------------------------------------------------------------------------------------
def _redraw_request(actor: str, position: int, reason: str) -> str:
    """Who asked to redraw which position, and why: what a retry of the request repeats."""
    return hashlib.sha256(f"{actor}\n{position}\n{reason}".encode()).hexdigest()[:32]


def _redrawable(store: Store, day: str, position: int) -> StoredDraw:
    record = store.record(day)
    if record is None or not record.drawn:
        raise Conflict(f"The draw for {day} has not been made yet.")
    if position > len(record.winners):
        raise Invalid(
            f"The draw for {day} has no position {position}.",
            errors=[{"loc": ["body", "position"], "msg": "no such position"}],
        )
    return record


def _answered_already(record: StoredDraw, request: str, now: datetime) -> bool:
    """The same request was the record's last redraw, a moment ago: it is being retried."""
    mark = record.last_redraw
    return (
        mark is not None
        and mark.request == request
        and now - datetime.fromisoformat(mark.at) < REDRAW_RETRY_WINDOW
    )


def _next_holder(
    store: Store, state: algorithm.DrawState, day: str, position: int, reason: str, at: str
) -> tuple[list[StoredRedraw], Entry]:
    """Redraw `position` until its pick can hold it; every pick is published (so the record
    still replays): a person holds one prize, and an erased entry cannot be contacted."""
    holders = store.winners()
    added: list[StoredRedraw] = []
    why = reason
    while True:
        try:
            replaced, chosen = state.redraw(position)
        except ValueError:
            raise Conflict(f"No entrant of {day} is left to draw.") from None
        added.append(
            StoredRedraw(position=position, replaced_entrant_id=replaced, reason=why, at=at)
        )
        entry = store.entry(day, chosen)
        if chosen in holders and holders[chosen] != day:
            why = "already holds a prize from another day"
        elif entry is None:
            why = "entry withdrawn"
        else:
            return added, entry


def _redrawn(
    store: Store, record: StoredDraw, position: int, reason: str, *, request: str, at: str
) -> StoredDraw:
    """The record with `position` held by the next unused k's pick."""
    # A drawn record has all of these (`_drawn`); the asserts tell the type checker.
    assert record.seed is not None
    assert record.entrants_hash is not None
    assert record.next_k is not None
    assert record.version is not None
    state = algorithm.DrawState(
        entrants=store.saved_entrants(record.day, record.entrants_hash),
        hash_hex=record.entrants_hash,
        seed=bytes.fromhex(record.seed),
        winners=[w.entrant_id for w in record.winners],
        picked=list(record.picked),
        disqualified=list(record.disqualified),
        next_k=record.next_k,
    )
    added, entry = _next_holder(store, state, record.day, position, reason, at)
    winners = list(record.winners)
    winners[position - 1] = _winner(entry, position)
    return record.model_copy(
        update={
            "winners": tuple(winners),
            "picked": tuple(state.picked),
            "disqualified": tuple(state.disqualified),
            "redraws": (*record.redraws, *added),
            "next_k": state.next_k,
            "version": record.version + 1,
            "last_redraw": RedrawMark(request=request, at=at),
        }
    )


def redraw(
    ports: Ports, day: str, *, position: int, reason: str, actor: str, now: datetime
) -> DrawRecord:
    """Replace the holder of `position` with the next unused k; the record keeps why. The same
    request retried within `REDRAW_RETRY_WINDOW` answers the record it made."""
    _public_day(ports.calendar, day)
    request = _redraw_request(actor, position, reason)

    def attempt() -> DrawRecord | None:
        record = _redrawable(ports.draws, day, position)
        if _answered_already(record, request, now):
            logger.info("redraw retried: already made", day=day, position=position)
            return to_record(record)
        redrawn = _redrawn(ports.draws, record, position, reason, request=request, at=iso(now))
        owed = ports.notifier.redrawn(redrawn, position)
        commit = RedrawCommit(
            record, redrawn, actor=actor, now=now, effects=owed, position=position, reason=reason
        )
        try:
            ports.draws.commit_redraw(commit)
        except (StaleRecord, WinnerTaken):
            return None
        logger.info("position redrawn", day=day, position=position)
        return to_record(redrawn)

    return _retrying(attempt)


# -- the hourly schedule --------------------------------------------------------------------------
def _scheduled_day(ports: Ports, d: date, now: datetime) -> Outcome:
    """Draw an ended, undrawn day, unless its photos still wait and its deadline has not
    passed (organisers are told once)."""
    day = d.isoformat()
    pending = ports.draws.awaiting(day)
    deadline = ports.calendar.day_ends_at(d) + timedelta(hours=ports.settings.deadline_hours)
    if pending and now < deadline:
        ports.draws.claim_waiting_notice(
            day, iso(now), ports.notifier.waiting(day, pending, deadline), now=now
        )
        return "waiting"
    try:
        run_draw(ports, day, trigger="schedule", force=True, actor="schedule", now=now)
    except AlreadyDrawn:  # a duplicate delivery or an organiser got there first
        return "already"
    except Conflict:  # busy: the next hour tries again
        return "waiting"
    return "drawn"


def scheduled(ports: Ports, now: datetime) -> dict[str, list[str]]:
    """Draw every ended, undrawn event day whose moderation queue is empty or whose deadline has
    passed; the others wait for a later hour."""
    found = {r.day: r for r in ports.draws.records()}
    result: dict[str, list[str]] = {"drawn": [], "waiting": [], "already": []}
    for d in ports.calendar.ended_days(now):
        known = found.get(d.isoformat())
        outcome = "already" if known and known.drawn else _scheduled_day(ports, d, now)
        result[outcome].append(d.isoformat())
    return result
