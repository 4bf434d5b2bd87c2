"""The photo record and every state change it can make, each one a conditional write.

Shared by the upload functions (reserve, process, gallery, reports), moderation (decisions) and
the prize draw (its moderation guard); its typed read model is `shared.photo_records`. A photo
moves

    awaiting_upload → processing → pending_moderation ⇄ approved / rejected / reported
    awaiting_upload | processing → failed

and only by writes conditioned on the state it leaves, so duplicate or late events change
nothing. Item: pk `PHOTO#<id>`, sk `PHOTO`. Its index keys say where it is listed:
- gsi2 `PHOTOS#<status>` / `<rank>#<uploaded_at>#<id>`: the organisers' queue for its status,
  rank 0 (flagged or reported) before rank 1;
- gsi3 `PERSON#<uploader>` / `PHOTO#<id>`: erasure finds it;
- gsi4 `AWAITING#<day>#<shard>` / `<id>`: while processing, pending or reported, and from an
  approval until its settle has entered it in the draw and listed it (`go_live` drops it in the
  write that lists it): the draw's guard counts these, so a draw made in the second between an
  approval and its settle waits for it instead of missing it. Sharded: at the peak (100 photos
  a second) one key per day would take 200 writes a second, a fifth of a partition's limit;
  ten shards keep each under 10%.

The record carries the retention TTL: it holds the email, the IP pseudonym and the reports.
While approved, a photo also has its public archive item, sk `PUBLIC` in the same partition,
WITHOUT TTL: only the public fields, gsi1 `GALLERY#<edition>` / `<uploaded_at>#<id>` (that
year's gallery) and gsi3 `PERSON#<uploader>` / `PHOTO#<id>#PUBLIC` (erasure finds it after the
record expired). It is put or deleted in the same transaction as every move in or out of
`approved`, with the edition's counters (shared/editions.py), so the archive and the live
numbers never disagree. What the public sees never runs ahead of the files it points at: an
approval puts the archive item WITHOUT its gsi1 keys (not listed, `get_public` answers None),
and the outbox's settle effect (functions/effects/) lists it (`go_live`) only once the public
copies exist, conditioned on the photo still being approved at the version it read, and in
the same write drops the record's gsi4 keys (the approval is settled: no longer awaited).

Once the record has expired, the archive item still lists the photo in its edition's gallery. A
report of it rebuilds the record from the archive item (`archived_record`, marked `archived`,
no email) and puts it `reported` in the same transaction that takes the archive item down
(`rebuild_ops`, conditioned on no record existing): from there it is any reported photo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.dynamo import (
    Assignments,
    ConditionFailed,
    Item,
    Table,
    TransactionConflict,
    assignments,
)
from shared.editions import edition_of, photo_ops
from shared.media import derivative_keys, incoming_key
from shared.people import person_keys
from shared.prescreen import needs_attention
from shared.types import iso

PHOTO_SK = "PHOTO"
GALLERY = "GALLERY"
PUBLIC_SK = "PUBLIC"
# What the archive keeps of an approved photo once its record expires: nothing personal.
PUBLIC_FIELDS = (
    "photo_id",
    "caption",
    "display_name",
    "school",
    "uploaded_at",
    "day",
    "width",
    "height",
)


class Status(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    PROCESSING = "processing"
    PENDING_MODERATION = "pending_moderation"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPORTED = "reported"
    FAILED = "failed"


# States an organiser can decide from, and those that still count as awaiting a decision (a
# new approval counts too, until its settle lists it: `listing_keys`, `go_live`).
DECIDABLE = (Status.PENDING_MODERATION, Status.REPORTED, Status.APPROVED, Status.REJECTED)
AWAITING = (Status.PROCESSING, Status.PENDING_MODERATION, Status.REPORTED)
QUEUED = (Status.PENDING_MODERATION, Status.REPORTED, Status.APPROVED, Status.REJECTED)


AWAITING_SHARDS = 10


def awaiting_key(day: str, photo_id: str) -> str:
    """The photo's shard of the day's "still awaiting a decision" index partition."""
    shard = int(hashlib.sha256(photo_id.encode()).hexdigest()[:8], 16) % AWAITING_SHARDS
    return f"AWAITING#{day}#{shard}"


def photo_pk(photo_id: str) -> str:
    return f"PHOTO#{photo_id}"


def _queue_keys(status: Status, item: Item, *, flagged: bool) -> dict[str, str]:
    rank = "0" if flagged or status == Status.REPORTED else "1"
    return {
        "gsi2pk": f"PHOTOS#{status}",
        "gsi2sk": f"{rank}#{item['uploaded_at']}#{item['photo_id']}",
    }


def new_photo_item(
    *,
    photo_id: str,
    person: str,
    email: str,
    caption: str,
    display_name: str,
    school: str,
    content_type: str,
    size_bytes: int,
    day: str,
    now: datetime,
    ttl: int,
    ip_hash: str,
    edition: str | None = None,
) -> Item:
    return {
        # The edition whose gallery shows it once approved: the configured one at upload (a
        # photo sent in the autumn before the week belongs to that coming week).
        "edition": edition or edition_of(day),
        "pk": photo_pk(photo_id),
        "sk": PHOTO_SK,
        "photo_id": photo_id,
        "status": Status.AWAITING_UPLOAD.value,
        "caption": caption,
        "display_name": display_name,
        "school": school,
        "email": email,
        "person": person,
        "ip_hash": ip_hash,
        "content_type": content_type,
        "size_bytes": size_bytes,
        "day": day,
        "uploaded_at": iso(now),
        "version": 1,
        "ttl": ttl,
        "files": [incoming_key(photo_id)],
        **person_keys(person, "PHOTO", photo_id),
    }


def reserve(table: Table, item: Item) -> None:
    table.put(item, condition="attribute_not_exists(pk)")


def get_photo(table: Table, photo_id: str, *, consistent: bool = False) -> Item | None:
    return table.get(photo_pk(photo_id), PHOTO_SK, consistent=consistent)


def _versioned(update: Assignments) -> Assignments:
    """Every change of a photo bumps its version (the optimistic lock decisions rely on)."""
    update.sets.append("#version = #version + :one")
    update.names["#version"] = "version"
    update.values[":one"] = 1
    return update


def _update_parts(
    *,
    leaving: tuple[Status, ...],
    to: Status,
    set_fields: dict[str, Any] | None,
    remove: tuple[str, ...],
    index_keys: dict[str, str] | None,
    expected_version: int | None,
) -> tuple[str, dict[str, str], dict[str, Any], str]:
    """The update and condition expressions of a transition (shared by `transition` and
    `move_op`, so the single write and the transactional one can never differ)."""
    fields: dict[str, Any] = {"status": to.value, **(set_fields or {}), **(index_keys or {})}
    update = _versioned(assignments(fields, remove))
    names, values, expression = update.names, update.values, update.expression
    states = []
    for k, state in enumerate(leaving):
        values[f":s{k}"] = state.value
        states.append(f":s{k}")
    names["#status"] = "status"
    condition = f"#status IN ({', '.join(states)})"
    if expected_version is not None:
        values[":expected"] = expected_version
        condition += " AND #version = :expected"
    return expression, names, values, condition


def transition(
    table: Table,
    photo_id: str,
    *,
    leaving: tuple[Status, ...],
    to: Status,
    set_fields: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    index_keys: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> Item:
    """Move a photo to `to`, only if it is in one of `leaving` (and at `expected_version`).

    Raises ConditionFailed (with the item as it was) otherwise. The index keys for the queue and
    the gallery are rewritten here so that no caller can leave a photo listed in the wrong place.
    """
    expression, names, values, condition = _update_parts(
        leaving=leaving,
        to=to,
        set_fields=set_fields,
        remove=remove,
        index_keys=index_keys,
        expected_version=expected_version,
    )
    return table.update(
        photo_pk(photo_id), PHOTO_SK, expression, names=names, values=values, condition=condition
    )


def _awaiting_keys(item: Item) -> dict[str, str]:
    return {"gsi4pk": awaiting_key(item["day"], item["photo_id"]), "gsi4sk": item["photo_id"]}


def listing_keys(
    item: Item, to: Status, *, flagged: bool
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The index keys a photo moving from `item` (as read) to state `to` has, and the index
    attributes it must drop.

    The awaiting keys (gsi4) stay on a new approval until its settle has entered the photo in
    the draw and listed it (`go_live` drops them): until then the draw's guard still waits for
    it. A photo already approved (a flag, a decision answering it) keeps them as they are:
    still there while its settle is owed, gone once it went live (the settle owed by the
    approval, or by this move, drops them then).
    """
    keys: dict[str, str] = {}
    drop: list[str] = []
    if to in QUEUED:
        keys.update(_queue_keys(to, item, flagged=flagged))
    else:
        drop += ["gsi2pk", "gsi2sk"]
    drop += ["gsi1pk", "gsi1sk"]  # the gallery lists the public archive item, not the record
    if to in AWAITING or (to == Status.APPROVED and item.get("status") != Status.APPROVED):
        keys.update(_awaiting_keys(item))
    elif to != Status.APPROVED:
        drop += ["gsi4pk", "gsi4sk"]
    return keys, tuple(drop)


def move(
    table: Table,
    item: Item,
    *,
    leaving: tuple[Status, ...],
    to: Status,
    set_fields: dict[str, Any] | None = None,
    flagged: bool = False,
    expected_version: int | None = None,
) -> Item:
    """`transition` with the listing keys that state `to` implies."""
    if to == Status.APPROVED or Status.APPROVED in leaving:
        # The public archive item and the counters move with it: one transaction, pinned to
        # the version read so that the counters know the state it leaves.
        move_with(
            table,
            item,
            leaving=leaving,
            to=to,
            puts=(),
            set_fields=set_fields,
            flagged=flagged,
            expected_version=expected_version or int(item["version"]),
        )
        moved = get_photo(table, item["photo_id"], consistent=True)
        assert moved is not None
        return moved
    keys, drop = listing_keys(item, to, flagged=flagged)
    return transition(
        table,
        item["photo_id"],
        leaving=leaving,
        to=to,
        set_fields=set_fields,
        remove=drop,
        index_keys=keys,
        expected_version=expected_version,
    )


def move_with(
    table: Table,
    item: Item,
    *,
    leaving: tuple[Status, ...],
    to: Status,
    puts: Sequence[Item],
    set_fields: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    flagged: bool = False,
    expected_version: int | None = None,
) -> None:
    """`move`, and put `puts` (e.g. its audit item) in the same transaction: both or neither.

    Raises ConditionFailed when the photo was not in `leaving` (or not at `expected_version`),
    or when a concurrent transaction touched it: either way, re-read and decide again.
    """
    operations = move_ops(
        table,
        item,
        leaving=leaving,
        to=to,
        puts=puts,
        set_fields=set_fields,
        remove=remove,
        flagged=flagged,
        expected_version=expected_version,
    )
    _transact(table, operations)


def _transact(table: Table, operations: Sequence[dict[str, Any]]) -> None:
    """`table.transact`, a cancellation raised as ConditionFailed: whether the photo left the
    state read or a concurrent transaction touched it, its callers re-read and decide again."""
    try:
        table.transact(operations)
    except TransactionConflict as exc:
        raise ConditionFailed(None) from exc


def move_ops(
    table: Table,
    item: Item,
    *,
    leaving: tuple[Status, ...],
    to: Status,
    puts: Sequence[Item] = (),
    set_fields: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    flagged: bool = False,
    expected_version: int | None = None,
) -> list[dict[str, Any]]:
    """The operations of `move_with`, for a caller that adds its own (an outbox effect, written
    with `shared.outbox.commit`)."""
    keys, drop = listing_keys(item, to, flagged=flagged)
    expression, names, values, condition = _update_parts(
        leaving=leaving,
        to=to,
        set_fields=set_fields,
        remove=tuple(a for a in drop + remove if a not in (set_fields or {})),
        index_keys=keys,
        expected_version=expected_version,
    )
    update = {
        "Key": {"pk": photo_pk(item["photo_id"]), "sk": PHOTO_SK},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    return [
        {"Update": update},
        *({"Put": {"Item": put}} for put in puts),
        *_archive_ops(
            table,
            item,
            leaving=leaving,
            to=to,
            set_fields=set_fields,
            pinned=expected_version is not None,
        ),
    ]


def photo_edition(item: Item) -> str:
    return str(item.get("edition") or edition_of(item["day"]))


def public_gallery_key(edition: str) -> str:
    return f"{GALLERY}#{edition}"


def gallery_keys(item: Item) -> dict[str, str]:
    """Where the public archive item is listed once live: its edition's gallery (gsi1)."""
    return {
        "gsi1pk": public_gallery_key(photo_edition(item)),
        "gsi1sk": f"{item['uploaded_at']}#{item['photo_id']}",
    }


def public_item(item: Item, *, live: bool = True) -> Item:
    """The approved photo's public archive item (no TTL: it is that year's gallery); not `live`
    (as an approval writes it, before its public copies exist) it is kept but not listed."""
    kept = {k: item[k] for k in PUBLIC_FIELDS if item.get(k) is not None}
    return {
        **kept,
        "pk": photo_pk(item["photo_id"]),
        "sk": PUBLIC_SK,
        "edition": photo_edition(item),
        **(gallery_keys(item) if live else {}),
        "gsi3pk": f"PERSON#{item['person']}",
        "gsi3sk": f"PHOTO#{item['photo_id']}#{PUBLIC_SK}",
    }


def go_live(table: Table, photo: Item) -> None:
    """List the approved photo's archive item in its gallery (its public copies exist now), and
    drop the record's awaiting keys (gsi4) in the same write: its approval is settled, the
    draw's guard stops waiting for it.

    Conditioned on the photo still being approved at the version read: a takedown or another
    decision meanwhile raises ConditionFailed (re-read and settle again), and that move has
    written the awaiting keys its own state implies. Idempotent. The version is NOT bumped:
    listing is the settle's own bookkeeping, not a change of the photo (decisions read before
    it stay valid, and the settle's announcement still finds the decision's version).
    """
    photo_id = photo["photo_id"]
    keys = gallery_keys(photo)
    _transact(
        table,
        [
            {
                "Update": {
                    "Key": {"pk": photo_pk(photo_id), "sk": PHOTO_SK},
                    "UpdateExpression": "REMOVE gsi4pk, gsi4sk",
                    "ConditionExpression": "#s = :approved AND #v = :v",
                    "ExpressionAttributeNames": {"#s": "status", "#v": "version"},
                    "ExpressionAttributeValues": {
                        ":approved": Status.APPROVED.value,
                        ":v": int(photo["version"]),
                    },
                }
            },
            {
                "Update": {
                    "Key": {"pk": photo_pk(photo_id), "sk": PUBLIC_SK},
                    "UpdateExpression": "SET gsi1pk = :g, gsi1sk = :gs",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":g": keys["gsi1pk"], ":gs": keys["gsi1sk"]},
                }
            },
        ],
    )


def _archive_ops(
    table: Table,
    item: Item,
    *,
    leaving: tuple[Status, ...],
    to: Status,
    set_fields: dict[str, Any] | None,
    pinned: bool,
    listed: bool = False,
) -> list[dict[str, Any]]:
    """The public archive item and the edition's counters that a move implies.

    Counting needs the state the move leaves: exact when the move is pinned to the version
    read (`expected_version`) or cannot leave `approved` at all. `listed`: the archive item
    leaves only if it is still listed (a rebuilt record's move, `rebuild_ops`, has no record
    version to pin: an erasure meanwhile cancels it instead of counting the photo twice).
    """
    was = item.get("status") == Status.APPROVED
    if Status.APPROVED in leaving and not pinned:
        raise ValueError("a move that may leave 'approved' must be pinned to a version")
    ops: list[dict[str, Any]] = []
    if to == Status.APPROVED:
        # Still approved (a flag, a decision answering it): the archive item stays as it is.
        if not was:
            # Kept, not listed: the settle effect lists it once its public copies exist.
            ops.append({"Put": {"Item": public_item({**item, **(set_fields or {})}, live=False)}})
            ops += photo_ops(table, item, +1)
    elif was:
        delete: dict[str, Any] = {"Key": {"pk": photo_pk(item["photo_id"]), "sk": PUBLIC_SK}}
        if listed:
            delete["ConditionExpression"] = "attribute_exists(gsi1pk)"
        ops.append({"Delete": delete})
        ops += photo_ops(table, item, -1)
    return ops


def archived_record(public: Item, *, ttl: int) -> Item:
    """The record of an approved photo rebuilt from its public archive item, once its own
    record expired (retention): what a report of it needs to take it down (`rebuild_ops`).

    Only what the archive keeps: its public fields, its edition and its uploader's pseudonym
    (the archive item's gsi3 key, so erasure still finds the record), no email (none is left:
    no uploader email is ever owed for it), no IP pseudonym. `published`: it was public, so a
    takedown invalidates the CDN; `archived`: its private files expired too, so its settle
    copies the public ones back to `private/` first (functions/effects/settle.py). `ttl`: a
    fresh retention period from now (its reports are personal data). Not stored as it is:
    `rebuild_ops` puts it in the state the move leaves it in.
    """
    photo_id = str(public["photo_id"])
    item: Item = {k: public[k] for k in PUBLIC_FIELDS if public.get(k) is not None}
    item.update(
        pk=photo_pk(photo_id),
        sk=PHOTO_SK,
        photo_id=photo_id,
        status=Status.APPROVED.value,
        edition=photo_edition(public),
        version=0,
        ttl=ttl,
        published=True,
        archived=True,
        files=list(derivative_keys(photo_id).values()),
    )
    person = str(public.get("gsi3pk", "")).removeprefix("PERSON#")
    if person:
        item["person"] = person
        item.update(person_keys(person, "PHOTO", photo_id))
    return item


def rebuild_ops(
    table: Table,
    item: Item,
    *,
    to: Status,
    puts: Sequence[Item] = (),
    set_fields: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """`move_ops` for a record rebuilt by `archived_record` (approved, not stored): the record
    is PUT in state `to` with the listing keys `to` implies (`listing_keys`), conditioned on no
    record existing, so two racing rebuilds write it once (the loser re-reads and finds it);
    the archive item and the edition's counters move as `move_ops` moves them for any approved
    photo leaving `approved` (the archive item only if still listed)."""
    if to == Status.APPROVED:
        raise ValueError("a rebuilt record is only written by a move out of 'approved'")
    keys, drop = listing_keys(item, to, flagged=False)
    fields = {**item, **(set_fields or {}), **keys}
    moved = {k: v for k, v in fields.items() if k not in drop}
    moved.update(status=to.value, version=int(item["version"]) + 1)
    return [
        {"Put": {"Item": moved, "ConditionExpression": "attribute_not_exists(pk)"}},
        *({"Put": {"Item": put}} for put in puts),
        *_archive_ops(
            table,
            item,
            leaving=(Status.APPROVED,),
            to=to,
            set_fields=set_fields,
            pinned=True,
            listed=True,
        ),
    ]


def get_public(table: Table, photo_id: str) -> Item | None:
    """An approved photo's public archive item (this year's or an earlier edition's), once it is
    live: an approval whose public copies are not there yet answers None, as the gallery does."""
    found = table.get(photo_pk(photo_id), PUBLIC_SK)
    return found if found is not None and "gsi1pk" in found else None


def is_flagged(item: Item) -> bool:
    """Whether the photo ranks first in its queue because of its pre-screen result."""
    return needs_attention(item.get("prescreen"))


def awaiting_moderation(table: Table, day: str) -> int:
    """How many photos of `day` are processing, wait for an organiser, or are approved but not
    yet settled (entered in the draw and listed): a COUNT query per shard of gsi4."""
    return sum(
        table.count("gsi4pk = :pk", {":pk": f"AWAITING#{day}#{shard}"}, index="gsi4")
        for shard in range(AWAITING_SHARDS)
    )


def _parse_iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _reported_since(item: Item) -> str:
    """When a reported photo started waiting: its first report after its last decision."""
    decided = str(item.get("decided_at", ""))
    reports = [str(r["at"]) for r in item.get("reports", []) if str(r.get("at", "")) > decided]
    return min(reports, default=str(item["uploaded_at"]))


def oldest_waiting(table: Table, now: datetime) -> int:
    """Seconds the longest-waiting photo has waited for an organiser (0 when none waits).

    Pending photos wait since their upload; each queue partition sorts by rank, then upload
    time, so the oldest is the first of rank 0 or of rank 1 (two Limit 1 Queries). Reported
    photos wait since their report, which the sort key does not order: that queue is read whole
    (it holds a handful of photos, each leaving it at the next decision).
    """
    waiting: list[str] = []
    pending = f"PHOTOS#{Status.PENDING_MODERATION}"
    for rank in ("0#", "1#"):
        page = table.query(
            "gsi2pk = :q AND begins_with(gsi2sk, :r)",
            {":q": pending, ":r": rank},
            index="gsi2",
            limit=1,
        )
        waiting += [str(item["uploaded_at"]) for item in page.items]
    reported = table.query_all("gsi2pk = :q", {":q": f"PHOTOS#{Status.REPORTED}"}, index="gsi2")
    waiting += [_reported_since(item) for item in reported]
    if not waiting:
        return 0
    return max(0, int((now - _parse_iso(min(waiting))).total_seconds()))


def gallery_page(
    table: Table, *, edition: str, limit: int, start_key: Item | None
) -> tuple[list[Item], Item | None]:
    """An edition's approved photos, newest upload first: one Query on the gallery index."""
    page = table.newest_first("gsi1", public_gallery_key(edition), limit=limit, start_key=start_key)
    return page.items, page.last_key


def queue_page(
    table: Table, status: Status, *, limit: int, start_key: Item | None
) -> tuple[list[Item], Item | None]:
    """Photos in an organiser queue: flagged first, then oldest first (fair to uploaders)."""
    page = table.query(
        "gsi2pk = :q",
        {":q": f"PHOTOS#{status}"},
        index="gsi2",
        limit=limit,
        start_key=start_key,
    )
    return page.items, page.last_key


def claim_processing(table: Table, item: Item, *, claim: str, ttl: int) -> Item:
    """awaiting_upload → processing, or processing → processing under the same `claim`.

    The upload processor's first step. The claim names the S3 object version an event announced
    (its eTag and sequencer), so the retry of a message that crashed half-way may finish the
    job, while any other event for the photo (a form used twice, a late or duplicate event of
    another object) is refused. `ttl` replaces the reservation's short TTL. Raises
    ConditionFailed (with the item as it was) otherwise.
    """
    keys, drop = listing_keys(item, Status.PROCESSING, flagged=False)
    fields: dict[str, Any] = {"status": Status.PROCESSING.value, "claim": claim, "ttl": ttl, **keys}
    update = _versioned(assignments(fields, drop))
    names = {**update.names, "#status": "status", "#claim": "claim"}
    values = {
        **update.values,
        ":awaiting": Status.AWAITING_UPLOAD.value,
        ":processing": Status.PROCESSING.value,
        ":claim": claim,
    }
    expression = update.expression
    return table.update(
        photo_pk(item["photo_id"]),
        PHOTO_SK,
        expression,
        names=names,
        values=values,
        condition="#status = :awaiting OR (#status = :processing AND #claim = :claim)",
    )


__all__ = [
    "AWAITING",
    "AWAITING_SHARDS",
    "DECIDABLE",
    "GALLERY",
    "ConditionFailed",
    "Status",
    "archived_record",
    "awaiting_key",
    "awaiting_moderation",
    "claim_processing",
    "gallery_keys",
    "gallery_page",
    "get_photo",
    "get_public",
    "go_live",
    "is_flagged",
    "listing_keys",
    "move",
    "move_ops",
    "move_with",
    "new_photo_item",
    "photo_pk",
    "public_item",
    "queue_page",
    "rebuild_ops",
    "reserve",
    "transition",
]
