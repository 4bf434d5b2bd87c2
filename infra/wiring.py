"""The one wiring declaration: which handler serves which routes, which source feeds which handler.

Plain data with no CDK import, read by both the CDK stack (`infra/`) and the local stack
(`local/`). Neither may declare a route, queue, bucket or schedule of its own, so a route that
exists in one and not the other cannot happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from shared.media import INCOMING_PREFIX, PRIVATE_PREFIX, PUBLIC_PREFIX  # the one key layout

Auth = Literal["public", "organiser"]
Access = Literal["read", "write"]
ObjectAccess = Literal["read", "write", "delete", "list"]


@dataclass(frozen=True)
class Keys:
    """The table's partitions a function may touch: `dynamodb:LeadingKeys` patterns.

    `read` covers GetItem, Query and ConditionCheckItem on the table and its indexes (an index
    Query's leading key is the index's partition key, e.g. `GALLERY`); `write` covers PutItem,
    UpdateItem, DeleteItem on the table. No Scan: a Scan has no leading key, so IAM would let it
    read every partition whatever the patterns say.
    """

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "DELETE", "PATCH"]
    path: str  # API Gateway syntax: /photos/{photo_id}
    auth: Auth = "public"
    # Seconds the CDN may answer this public read from its cache (the same for everyone); 0:
    # every request reaches the function. A takedown invalidates what it must.
    cdn_cache_s: int = 0

    def __post_init__(self) -> None:
        if self.cdn_cache_s and (self.method != "GET" or self.auth != "public"):
            raise ValueError(f"{self.route_key}: only public GETs may be cached by the CDN")

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout_s: int = 60
    max_receive_count: int = 3  # deliveries before a message moves to its dead-letter queue
    dead_letter: bool = True

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class Bucket:
    name: str
    notify_prefix: str | None = None  # s3:ObjectCreated:* under this prefix goes to `notify_queue`
    notify_queue: str | None = None
    expire_prefixes: tuple[tuple[str, int], ...] = ()  # (prefix, days) lifecycle expiry
    # Prefixes of personal data: expired by lifecycle once the retention period has passed
    # (the table's TTL forgets the items; this forgets their files).
    personal_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    name: str
    queue: str  # subscribed SQS queue (raw delivery off: the handler sees the SNS envelope)


@dataclass(frozen=True)
class QueueSource:
    queue: str  # a Queue name, or "<name>-dlq" for its dead-letter queue
    batch_size: int = 10
    max_batching_window_s: int = 0
    # The most concurrent invocations this source starts (SQS's minimum is 2): it caps a consumer
    # without reserving concurrency, which a new account cannot give (infra/quotas.py).
    max_concurrency: int = 2


@dataclass(frozen=True)
class StreamSource:
    """The table's stream, filtered to new items whose `pk` starts with `key_prefix` (Lambda's
    event filter: the consumer is never invoked for anything else). A failing record is retried
    `retry_attempts` times (the batch bisected) and then its position goes to `dead_letter`."""

    key_prefix: str
    dead_letter: str  # a Queue name (declared without its own dead-letter queue)
    events: tuple[str, ...] = ("INSERT",)
    batch_size: int = 10
    max_batching_window_s: int = 0
    retry_attempts: int = 50
    max_record_age_s: int = 6 * 3600

    def matches(self, record: dict[str, Any]) -> bool:
        """What the event filter lets through (the local stack applies it itself)."""
        pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
        return record.get("eventName") in self.events and str(pk).startswith(self.key_prefix)

    def filter_pattern(self) -> dict[str, Any]:
        return {
            "eventName": list(self.events),
            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": self.key_prefix}]}}},
        }


@dataclass(frozen=True)
class Schedule:
    """Runs in `Config.event_tz`, only between the event's start and end dates (plus grace)."""

    name: str
    minute: int  # fires every hour at this minute; the handler decides whether work is due
    hours: str = "*"  # cron hours field, e.g. "*" or "0-9"


@dataclass(frozen=True)
class Function:
    name: str
    handler: str  # dotted path "functions.upload.handler.lambda_handler"
    routes: tuple[Route, ...] = ()
    queue_sources: tuple[QueueSource, ...] = ()
    stream_sources: tuple[StreamSource, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    memory_mb: int = 256
    timeout_s: int = 10
    # Reserved concurrency: none by default. A new account (quota 10, of which Lambda keeps 10
    # unreserved) cannot reserve any; synth checks it against `lambda_concurrency_quota`.
    reserved_concurrency: int | None = None
    # Least privilege, declared per function and turned into IAM statements by CDK; the IAM
    # check (tests/iam/) fails the tests on any call these would not allow.
    table: Keys | None = None
    buckets: tuple[tuple[str, ObjectAccess, str], ...] = ()  # (bucket, access, key prefix)
    queues_send: tuple[str, ...] = ()
    sends_email: bool = False
    uses_rekognition: bool = False
    invalidates_cdn: bool = False  # takes public photos down: may invalidate CloudFront paths
    # email-validator: shared.types.normalise_email imports it on first use (API models, feedback).
    requirements: tuple[str, ...] = ("aws-lambda-powertools", "pydantic", "email-validator")

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class TableSpec:
    """One table, string keys `pk`/`sk`; each index `name` has keys `<name>pk`/`<name>sk`.

    gsi1: public lists (gallery, walls), written at human speed only.
    gsi2: organiser queues by status. gsi3: everything of one person (erasure).
    gsi4: photos of a day still awaiting moderation, or approved and not yet settled by the
    outbox (the prize draw's moderation guard counts them).
    """

    name: str = "techognition"
    indexes: tuple[str, ...] = ("gsi1", "gsi2", "gsi3", "gsi4")
    ttl_attribute: str = "ttl"
    # Keys only: the outbox consumer reads each effect back (consistently) anyway, so the
    # stream need not carry emails or link tokens for its 24 hours.
    stream: Literal["KEYS_ONLY", "NEW_IMAGE"] | None = "KEYS_ONLY"


@dataclass(frozen=True)
class Wiring:
    functions: tuple[Function, ...]
    queues: tuple[Queue, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    topics: tuple[Topic, ...] = ()
    table: TableSpec = TableSpec()

    def routes(self) -> list[tuple[Route, Function]]:
        return [(route, fn) for fn in self.functions for route in fn.routes]

    def cdn_cache_routes(self) -> dict[str, int]:
        """`GET /photos` -> seconds, for every route the CDN may answer from its cache."""
        return {
            route.route_key: route.cdn_cache_s for route, _ in self.routes() if route.cdn_cache_s
        }

    def function(self, name: str) -> Function:
        return next(fn for fn in self.functions if fn.name == name)

    def queue(self, name: str) -> Queue:
        return next(q for q in self.queues if q.name == name)


def public(method: str, path: str, *, cdn_cache_s: int = 0) -> Route:
    return Route(method, path, "public", cdn_cache_s)  # type: ignore[arg-type]


# The busy week's public reads are the same for everyone: the CDN answers them for this long
# (seconds to a minute, so a new approval shows soon; a takedown invalidates what it must).
PUBLIC_READ_CACHE_S = 30


def organiser(method: str, path: str) -> Route:
    return Route(method, path, "organiser")  # type: ignore[arg-type]


MEDIA_BUCKET = "media"
PHOTO_UPLOADS = "photo-uploads"
EMAIL_FEEDBACK = "email-feedback"
OUTBOX = "OUTBOX#"  # shared/outbox.py: effects owed by committed changes
OUTBOX_DEAD_LETTERS = "outbox-dead-letters"  # stream positions of effects that kept failing
# Partition of the server secret (shared/secret.py): only functions that key pseudonyms or sign
# cursors list it. Draw seeds have their own partitions (SEED#<day>, shared/entries.py): only
# the draw reads them; the outbox (entering an approval) creates a day's commitment, so it may
# write one, not read it.
SECRET_PARTITION = "CONFIG"  # noqa: S105 (a key prefix, not a secret)
SEEDS = "SEED#*"
# What every API function reads and writes last: the effects its commits owe (the outbox) and
# the server secret (pseudonyms, signed cursors).
OWED_AND_SECRET = (f"{OUTBOX}*", SECRET_PARTITION)
# The draw's partitions, whether an organiser or the hourly schedule draws: entries, seeds, the
# published draws and winners, the photos awaiting a decision (the moderation guard).
DRAW_READS = ("DRAW#*", SEEDS, "DRAWS", "WINNERS", "AWAITING#*", "PHOTO#*")
DRAW_WRITES = ("DRAW#*", SEEDS, "WINNER#*", "AUDIT#DRAW#*", "EDITION#*", *OWED_AND_SECRET)

WIRING = Wiring(
    functions=(
        Function(
            name="upload-api",
            handler="functions.upload.handler.lambda_handler",
            routes=(
                public("GET", "/health"),
                public("GET", "/openapi.json"),
                public("POST", "/uploads"),
                public("GET", "/uploads/{photo_id}"),
                public("GET", "/photos", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("GET", "/photos/{photo_id}", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("POST", "/photos/{photo_id}/reports"),
                # the share page, on the site's own address (the CDN routes /p/* here)
                public("GET", "/p/{photo_id}", cdn_cache_s=PUBLIC_READ_CACHE_S),
            ),
            # EDITION#*: a report's takedown moves the edition's counters; OUTBOX#: it owes
            # the takedown's copies and CDN paths in its own transaction (the outbox does them)
            table=Keys(
                read=("PHOTO#*", "GALLERY#*", "EDITION#*", *OWED_AND_SECRET),
                write=(
                    "PHOTO#*",
                    "AUDIT#PHOTO#*",
                    "RATE#*",
                    "EDITION#*",
                    *OWED_AND_SECRET,
                ),
            ),
            # the upload form's key (presigned POST)
            buckets=((MEDIA_BUCKET, "write", INCOMING_PREFIX),),
        ),
        Function(
            name="upload-processor",
            handler="functions.upload.processor.lambda_handler",
            # Uploads queue up and catch up rather than take the API's concurrency.
            queue_sources=(QueueSource(PHOTO_UPLOADS, batch_size=1, max_concurrency=20),),
            memory_mb=1536,
            timeout_s=60,
            # Runs image decoders on untrusted files: its photo's record, no secret, no other
            # partition; reads uploads, writes derivatives, never public/.
            table=Keys(read=("PHOTO#*",), write=("PHOTO#*", "AUDIT#PHOTO#*")),
            buckets=(
                (MEDIA_BUCKET, "read", INCOMING_PREFIX),
                (MEDIA_BUCKET, "delete", INCOMING_PREFIX),
                (MEDIA_BUCKET, "write", PRIVATE_PREFIX),
                (MEDIA_BUCKET, "delete", PRIVATE_PREFIX),
            ),
            uses_rekognition=True,
            requirements=("aws-lambda-powertools", "pydantic", "pillow", "pillow-heif"),
        ),
        Function(
            name="upload-failures",
            handler="functions.upload.failures.lambda_handler",
            queue_sources=(QueueSource(f"{PHOTO_UPLOADS}-dlq"),),
            table=Keys(read=("PHOTO#*",), write=("PHOTO#*", "AUDIT#PHOTO#*")),
        ),
        Function(
            name="moderation-api",
            handler="functions.moderation.handler.lambda_handler",
            routes=(
                organiser("GET", "/admin/photos"),
                organiser("POST", "/admin/photos/{photo_id}/decision"),
                organiser("GET", "/admin/photos/{photo_id}/audit"),
            ),
            # A decision commits the photo, its audit, the edition's counters and the settle
            # effect it owes (OUTBOX#); copies, CDN, draw entry and email are the outbox's.
            table=Keys(
                read=(
                    "PHOTO#*",
                    "PHOTOS#*",
                    "AUDIT#PHOTO#*",
                    "EDITION#*",
                    *OWED_AND_SECRET,
                ),
                write=("PHOTO#*", "AUDIT#PHOTO#*", "EDITION#*", *OWED_AND_SECRET),
            ),
            # organisers see undecided photos by signed URL
            buckets=((MEDIA_BUCKET, "read", PRIVATE_PREFIX),),
        ),
        Function(
            name="pledge-api",
            handler="functions.pledge.handler.lambda_handler",
            routes=(
                public("POST", "/pledges"),
                public("POST", "/pledges/confirm"),
                public("GET", "/pledges", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("GET", "/pledges/summary", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("POST", "/signups"),
                public("POST", "/signups/confirm"),
                public("POST", "/signups/unsubscribe"),
                public("POST", "/messages"),
                public("GET", "/messages", cdn_cache_s=PUBLIC_READ_CACHE_S),
                organiser("GET", "/admin/messages"),
                organiser("POST", "/admin/messages/{message_id}/decision"),
                organiser("GET", "/admin/messages/export"),
            ),
            # Pledges, sign-ups and messages only (people's data is people-api's); OUTBOX#:
            # the confirmation emails are owed in the registering transactions.
            table=Keys(
                read=(
                    "PLEDGE#*",
                    "PLEDGES",
                    "WALL#*",
                    "MESSAGE#*",
                    "MESSAGES#*",
                    "SIGNUP#*",
                    "TOKEN#*",
                    *OWED_AND_SECRET,
                ),
                write=(
                    "PLEDGE#*",
                    "PLEDGES",
                    "MESSAGE#*",
                    "SIGNUP#*",
                    "TOKEN#*",
                    "RATE#*",
                    "EDITION#*",  # the live numbers move with confirmations and decisions
                    "AUDIT#MESSAGE#*",
                    *OWED_AND_SECRET,
                ),
            ),
        ),
        Function(
            # People's data: erasure finds a person's items through the person index (gsi3),
            # whichever function wrote them, and the sign-ups' export.
            name="people-api",
            handler="functions.people.handler.lambda_handler",
            routes=(
                organiser("POST", "/admin/erasure"),
                organiser("GET", "/admin/signups/export"),
            ),
            table=Keys(
                read=(
                    "PERSON#*",
                    "PHOTO#*",
                    "DRAW#*",
                    "DRAWS",
                    "SIGNUPS#*",
                    "EDITION#*",
                    *OWED_AND_SECRET,
                ),
                write=(
                    "PHOTO#*",
                    "PLEDGE#*",
                    "PLEDGES",
                    "SIGNUP#*",
                    "TOKEN#*",
                    "MESSAGE#*",
                    "DRAW#*",
                    "RATE#*",
                    "PACK#*",
                    "PACKSTOCK#*",  # an erased request not yet dispatched gives its pack back
                    "EDITION#*",
                    "AUDIT#PHOTO#*",
                    "AUDIT#PERSON#*",
                    *OWED_AND_SECRET,
                ),
            ),
            # erasure counts a person's files; the outbox deletes them (and their CDN paths)
            buckets=tuple(
                (MEDIA_BUCKET, "list", prefix)
                for prefix in (INCOMING_PREFIX, PRIVATE_PREFIX, PUBLIC_PREFIX)
            ),
        ),
        Function(
            # Performs what committed changes owe (shared/outbox.py): emails, file deletions,
            # CDN invalidations. Fed by the table's stream, new outbox items only.
            name="outbox",
            handler="functions.effects.handler.lambda_handler",
            stream_sources=(StreamSource(OUTBOX, dead_letter=OUTBOX_DEAD_LETTERS),),
            timeout_s=60,
            # Settling a photo (functions/effects/settle.py): reads the photo, lists its archive
            # item in the gallery and takes its record off the awaiting index (PHOTO#), owes
            # the uploader's email (OUTBOX#), enters or withdraws the draw entry (DRAW#, the
            # day's commitment: SEED#, EDITION#; another approved photo of the person: PERSON#
            # on gsi3).
            table=Keys(
                read=(f"{OUTBOX}*", "SUPPRESSED#*", "PHOTO#*", "PERSON#*", "DRAW#*"),
                write=(f"{OUTBOX}*", "PHOTO#*", "DRAW#*", SEEDS, "EDITION#*"),
            ),
            # erasure's files: a person's photos, wherever they are; an approval's public copies;
            # an archived photo's takedown copies its public images back to private/ first
            buckets=(
                (MEDIA_BUCKET, "read", PRIVATE_PREFIX),
                (MEDIA_BUCKET, "write", PUBLIC_PREFIX),
                (MEDIA_BUCKET, "read", PUBLIC_PREFIX),
                (MEDIA_BUCKET, "write", PRIVATE_PREFIX),
                *(
                    (MEDIA_BUCKET, access, prefix)
                    for access in ("list", "delete")
                    for prefix in (INCOMING_PREFIX, PRIVATE_PREFIX, PUBLIC_PREFIX)
                ),
            ),
            sends_email=True,
            invalidates_cdn=True,
        ),
        Function(
            name="people-email-feedback",
            handler="functions.people.feedback.lambda_handler",
            queue_sources=(QueueSource(EMAIL_FEEDBACK),),
            table=Keys(read=(SECRET_PARTITION,), write=("SUPPRESSED#*", SECRET_PARTITION)),
        ),
        Function(
            name="campaign-api",
            handler="functions.campaign.handler.lambda_handler",
            routes=(
                public("GET", "/packs/availability"),
                public("GET", "/editions", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("GET", "/stats", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("POST", "/packs"),
                organiser("GET", "/admin/packs"),
                organiser("GET", "/admin/packs/export"),
                organiser("POST", "/admin/packs/{pack_id}/dispatched"),
            ),
            # OUTBOX#: the pack's confirmation email is owed in its commit (the outbox sends it)
            table=Keys(
                read=(
                    "PACK#*",
                    "PACKS#*",
                    "PACKSTOCK#*",
                    f"{OUTBOX}*",
                    "EDITION#*",
                    "EDITIONS",
                    SECRET_PARTITION,
                ),
                write=("PACK#*", "PACKSTOCK#*", "RATE#*", *OWED_AND_SECRET),
            ),
        ),
        Function(
            name="prizedraw-api",
            handler="functions.prizedraw.handler.lambda_handler",
            routes=(
                public("GET", "/draws", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("GET", "/draws/{day}", cdn_cache_s=PUBLIC_READ_CACHE_S),
                public("GET", "/draws/{day}/entrants", cdn_cache_s=PUBLIC_READ_CACHE_S),
                organiser("POST", "/admin/draws"),
                organiser("POST", "/admin/draws/{day}/redraw"),
                organiser("PUT", "/admin/draws/{day}/prize"),
            ),
            # OUTBOX#: the winners' and organisers' emails are owed in the draw's commit
            table=Keys(read=(*DRAW_READS, *OWED_AND_SECRET), write=DRAW_WRITES),
            timeout_s=60,
        ),
        Function(
            name="prizedraw-nightly",
            handler="functions.prizedraw.scheduled.lambda_handler",
            schedules=(Schedule("draw-hourly", minute=5),),
            # PHOTOS#*: the organisers' queues (how long the oldest photo has waited)
            table=Keys(read=(*DRAW_READS, "PHOTOS#*", *OWED_AND_SECRET), write=DRAW_WRITES),
            timeout_s=300,
            # No reserved concurrency of 1: overlapping runs are harmless, as a day is drawn in
            # one conditional transaction (functions/prizedraw/store.py) that only one can win.
        ),
    ),
    queues=(
        Queue(PHOTO_UPLOADS, visibility_timeout_s=360, max_receive_count=3),
        Queue(EMAIL_FEEDBACK, visibility_timeout_s=60),
        # Where the outbox's stream mapping parks the position of an effect that kept failing.
        Queue(OUTBOX_DEAD_LETTERS, dead_letter=False),
    ),
    buckets=(
        Bucket(
            MEDIA_BUCKET,
            notify_prefix=INCOMING_PREFIX,
            notify_queue=PHOTO_UPLOADS,
            expire_prefixes=((INCOMING_PREFIX, 1),),
            # public/ is the approved photos' archive (GET /photos?edition=): never expired.
            personal_prefixes=(PRIVATE_PREFIX,),
        ),
    ),
    topics=(Topic("email-feedback", queue=EMAIL_FEEDBACK),),
)


def queue_url_variable(queue: str) -> str:
    """The variable of a queue's URL: `photo-uploads` → `PHOTO_UPLOADS_QUEUE_URL`."""
    return queue.upper().replace("-", "_") + "_QUEUE_URL"


def environment(
    *,
    table_name: str,
    media_bucket: str,
    media_base_url: str,
    settings: dict[str, str],
    queue_urls: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment every function gets, in the cloud and locally alike.

    `settings` are the event's knobs (EVENT_START, EVENT_END, EVENT_TZ, WINNERS_PER_DAY, SITE_URL,
    SENDER_EMAIL, RETENTION_DAYS, ...), already upper-cased: `shared.config` validates them.
    `queue_urls` (by wiring name) gives the URLs of the queues functions send to; sending is
    still granted per function (`queues_send`).
    """
    sent = {name for fn in WIRING.functions for name in fn.queues_send}
    return {
        "TABLE_NAME": table_name,
        "MEDIA_BUCKET": media_bucket,
        "MEDIA_BASE_URL": media_base_url,
        "POWERTOOLS_SERVICE_NAME": "techognition",
        "POWERTOOLS_METRICS_NAMESPACE": "Techognition",
        # shared/http.py marks these routes' answers cacheable by the CDN (s-maxage).
        "CDN_CACHE_ROUTES": json.dumps(WIRING.cdn_cache_routes(), sort_keys=True),
        **{
            queue_url_variable(name): url
            for name, url in (queue_urls or {}).items()
            if name in sent
        },
        **settings,
    }
