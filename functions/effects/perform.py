"""Performing owed effects, each at most once after its done mark (see `shared.outbox`).

Delivery is at least once: a stream record comes again after a failure (of its batch, or of
this very effect), so every effect is read back first and skipped once marked done (or gone:
erased, expired). What is done between "performed" and "marked" decides what a fault there
costs, and each kind chooses:

- `email`: send, then mark. A crash or lost answer between the two sends the email again on the
  retry; marking first would instead lose it for good. A confirmation link that never arrives
  locks the person out for the resend window and longer, a second copy of the same link harms
  no one, so: at least once. The mark is retried hard (`_MARK_TRIES`) to keep that window
  small. SES has no idempotency key, so the one duplicate nobody can rule out is SES applying
  a send whose answer is then lost (the SDK or the stream resends it).
- `delete_files`: deleting is idempotent and CloudFront treats an invalidation with the same
  CallerReference (`outbox-<effect id>`) as the same one, so perform, then mark; a retry
  repeats it harmlessly.
- `settle_photo` (`settle.py`): copies, gallery listing, CDN and draw entry are made to match
  the photo's current state, each step idempotent, then the uploader's email is owed as an
  effect of its own with a derived id (put once), then marked: a retry converges again and
  owes nothing twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.effects import settle
from functions.effects.store import CloudFrontPaths, TableDraw, TableOwed, TablePhotos
from shared import mail, outbox
from shared.aws import client, transient
from shared.dynamo import ConditionFailed, Table
from shared.media import S3Media
from shared.observability import logger
from shared.types import iso, utc_now

_MARK_TRIES = 6
DONE = "done"
SKIPPED_SUPPRESSED = "suppressed"
REFUSED = "refused"


@dataclass(frozen=True)
class Settings:
    bucket: str
    sender: str
    configuration_set: str | None
    distribution_id: str | None  # None locally: no CDN to invalidate
    entry_ttl: int = 0  # when a draw entry made by settling an approval expires (retention)


class Performer:
    def __init__(self, table: Table, settings: Settings) -> None:
        self.table, self.settings = table, settings
        self.kinds: dict[str, Callable[[outbox.Effect], str]] = {
            "email": self._email,
            "delete_files": self._delete_files,
            "settle_photo": self._settle_photo,
        }

    def settle_ports(self) -> settle.Ports:
        return settle.Ports(
            photos=TablePhotos(self.table),
            copies=S3Media(self.settings.bucket),
            cdn=CloudFrontPaths(self.settings.distribution_id),
            draw=TableDraw(self.table, ttl=self.settings.entry_ttl, clock=utc_now),
            owed=TableOwed(self.table, clock=utc_now),
        )

    def perform(self, effect_id: str, *, now: datetime) -> str | None:
        """Perform the effect if still owed; its outcome, or None when there was nothing to do."""
        key = outbox.key(effect_id)
        found = self.table.get(key["pk"], key["sk"], consistent=True)
        if found is None or "done_at" in found:
            return None  # done before (a redelivery), erased, or expired
        owed = outbox.of(found)
        kind = self.kinds.get(owed.kind)
        if kind is None:  # a kind this code does not know: a newer writer; retried until deployed
            raise ValueError(f"unknown effect kind {owed.kind!r}")
        outcome = kind(owed)
        self._mark(owed, outcome, now=now)
        logger.info("effect performed", effect_id=effect_id, kind=owed.kind, outcome=outcome)
        return outcome

    # -- kinds -------------------------------------------------------------------------------
    def _email(self, owed: outbox.Effect) -> str:
        payload = owed.payload
        purpose = str(payload.get("purpose", "email"))
        if owed.person and mail.is_suppressed(self.table, owed.person):
            logger.info("email skipped: address suppressed", purpose=purpose)
            return SKIPPED_SUPPRESSED
        email = mail.Email(
            to=payload["to"],
            subject=payload["subject"],
            text=payload["text"],
            html=payload.get("html"),
        )
        params = mail.ses_params(self.settings.sender, email, self.settings.configuration_set)
        try:
            client("ses").send_email(**params)
        except Exception as exc:
            if transient(exc) or not hasattr(exc, "response"):
                raise  # throttled, failing or unreachable: the record is retried
            # SES refused this message (a rejected address, say): no retry will change that.
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            logger.warning("email not sent", purpose=purpose, error_code=code)
            return REFUSED
        logger.info("email sent", purpose=purpose)
        return DONE

    def _delete_files(self, owed: outbox.Effect) -> str:
        s3 = client("s3")
        bucket = self.settings.bucket
        keys = set(owed.payload.get("keys", []))
        for prefix in owed.payload.get("prefixes", []):
            keys.update(_listed(s3, bucket, prefix))
        ordered = sorted(keys)
        for start in range(0, len(ordered), 1000):
            answer = s3.delete_objects(
                Bucket=bucket,
                Delete={
                    "Objects": [{"Key": k} for k in ordered[start : start + 1000]],
                    "Quiet": True,
                },
            )
            if answer.get("Errors"):  # per-key failures come back in a 200
                raise RuntimeError(f"{len(answer['Errors'])} objects not deleted: retried")
        paths = list(owed.payload.get("invalidate", []))
        if paths and self.settings.distribution_id:
            # Any refusal (throttled, too many in flight) is retried: a takedown the CDN keeps
            # serving is no takedown.
            client("cloudfront").create_invalidation(
                DistributionId=self.settings.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": f"outbox-{owed.effect_id}",
                },
            )
        return DONE

    def _settle_photo(self, owed: outbox.Effect) -> str:
        return settle.settle(self.settle_ports(), owed)

    # -- the done mark -----------------------------------------------------------------------
    def _mark(self, owed: outbox.Effect, outcome: str, *, now: datetime) -> None:
        """Done: forget the payload (an address, a link token) and leave the owed list."""
        key = outbox.key(owed.effect_id)
        for attempt in range(_MARK_TRIES):
            try:
                self.table.update(
                    key["pk"],
                    key["sk"],
                    "SET done_at = :at, outcome = :o "
                    "REMOVE payload, person, gsi2pk, gsi2sk, gsi3pk, gsi3sk",
                    values={":at": iso(now), ":o": outcome},
                    condition="attribute_exists(pk) AND attribute_not_exists(done_at)",
                )
                return
            except ConditionFailed:
                return  # erased meanwhile, or marked by an earlier delivery
            except Exception as exc:
                if not transient(exc) or attempt == _MARK_TRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter only


def _listed(s3: Any, bucket: str, prefix: str) -> Iterable[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from (obj["Key"] for obj in page.get("Contents", []))
