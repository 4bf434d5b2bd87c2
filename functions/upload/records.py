"""The photo as the upload functions read it: typed views of the items `shared.photos` stores.

`shared.photos` owns the item's layout and every write; these models are what the upload API
and the processor read from it, validated once where an item comes out of the table, so the
logic never digs in a dict. Unknown attributes are ignored (the record carries more than any
one reader needs).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.dynamo import Item
from shared.photos import Status


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PhotoRecord(_Read):
    """The photo's record (sk `PHOTO`): its state, and what processing reads of it."""

    photo_id: str
    status: Status
    caption: str = ""
    size_bytes: int | None = None  # as reserved: the most the processor reads of the upload
    reason: str | None = None  # why, in plain words, once failed or rejected

    @classmethod
    def of(cls, item: Item) -> PhotoRecord:
        return cls.model_validate(item)


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
