"""The photo as its readers see it: typed views of the items `shared.photos` stores.

`shared.photos` owns the item's layout and every write; these models are what the upload API,
the processor, moderation and the outbox's settle effect read from it, validated once where an
item comes out of the table (each package's store adapter calls `.of(item)`), so no logic digs
in a dict. Unknown attributes are ignored (index keys, the IP pseudonym, the processing claim).

A `PhotoRecord` keeps the item it was read from (`item`, excluded from dumps) for the one thing
that needs it: the conditional writes of `shared.photos` (`move_ops`, `go_live`), which are
pinned to the version read and copy the public fields exactly as stored. Logic never reads it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.dynamo import Item
from shared.photos import Status
from shared.prescreen import needs_attention


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class StoredReport(_Read):
    """A public report as the record keeps it (the reporter's IP pseudonym is not read)."""

    reason: str = ""
    at: str | None = None


class PhotoRecord(_Read):
    """The photo's record (sk `PHOTO`): its state, the uploader's details, and its decisions."""

    photo_id: str
    status: Status
    version: int = 0  # bumped by every change: the optimistic lock of decisions and settles
    caption: str = ""
    display_name: str = ""
    school: str = ""
    email: str = ""
    person: str | None = None  # the uploader's pseudonymous id (erasure, the draw)
    day: str = ""
    uploaded_at: str = ""
    edition: str | None = None
    ttl: int | None = None  # the retention horizon (set when processed)
    size_bytes: int | None = None  # as reserved: the most the processor reads of the upload
    width: int | None = None
    height: int | None = None
    prescreen: dict[str, Any] | None = None  # `shared.prescreen`'s result, as stored
    # Public reports: kept (the latest few), counted, and those since an approval after one.
    reports: list[StoredReport] = []
    report_count: int = 0
    flagged_reports: int = 0
    cleared_after_report: bool | None = None
    published: bool | None = None  # ever approved: a later takedown invalidates the CDN
    # Rebuilt from its public archive item by a report after its record expired: no email, and
    # its private files expired too (its settle copies the public ones back first).
    archived: bool = False
    # The latest decision: `reason` is the public sentence (GET /uploads/{id}, also why it
    # failed), `reason_code`/`reason_note` what the uploader's email says, `decision_reason`
    # what organisers read.
    decision: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    reason_note: str | None = None
    decision_reason: str | None = None
    item: Item = Field(default_factory=dict, exclude=True, repr=False)

    @classmethod
    def of(cls, item: Item) -> PhotoRecord:
        return cls.model_validate({**item, "item": item})

    @property
    def flagged(self) -> bool:
        """Whether the pre-screen result ranks it first in its queue."""
        return needs_attention(self.prescreen)

    def changed(
        self, to: Status, *, set_fields: dict[str, Any], remove: tuple[str, ...]
    ) -> PhotoRecord:
        """The photo as a move to `to` writing `set_fields` and removing `remove` leaves it (its
        version one up): what a decision answers and announces before it is read back."""
        item = {k: v for k, v in self.item.items() if k not in remove}
        item.update(set_fields, status=to.value, version=self.version + 1)
        return PhotoRecord.of(item)


class PublicPhotoRecord(_Read):
    """An approved photo's public archive item (sk `PUBLIC`): only its public fields."""

    photo_id: str
    caption: str
    display_name: str
    school: str
    uploaded_at: str
    width: int = 0
    height: int = 0

    @classmethod
    def of(cls, item: Item) -> PublicPhotoRecord:
        return cls.model_validate(item)
