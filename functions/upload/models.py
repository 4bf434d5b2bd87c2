"""Request and response shapes of the upload API (reservations, statuses, gallery, reports)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.types import Email, bounded

ContentType = Literal["image/jpeg", "image/png", "image/webp", "image/heic"]
UploadStatus = Literal[
    "awaiting_upload", "processing", "pending_moderation", "approved", "rejected", "failed"
]


Caption = Annotated[str, bounded(280)]
DisplayName = Annotated[str, bounded(80)]
School = Annotated[str, bounded(120)]
ReportReason = Annotated[str, bounded(500, multiline=True)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UploadIn(_In):
    caption: Caption
    display_name: DisplayName
    school: School
    email: Email = Field(description="Private: never shown publicly; keys the prize draw entry")
    content_type: ContentType
    # The upper bound is configuration (MAX_UPLOAD_BYTES), enforced as a 413 by the logic.
    size_bytes: Annotated[int, Field(ge=1, strict=True, description="Exact file size in bytes")]
    consent: Literal[True] = Field(
        description="Must be true: everyone pictured, or their school, agreed to publication"
    )


class UploadForm(BaseModel):
    url: str = Field(description="POST a multipart/form-data body here")
    fields: dict[str, str] = Field(description="Send every one of these, then the file as `file`")


class UploadCreated(BaseModel):
    photo_id: str
    status: Literal["awaiting_upload"] = "awaiting_upload"
    upload: UploadForm
    expires_at: str = Field(description="When the upload form stops working (ISO-8601 UTC)")


class UploadState(BaseModel):
    photo_id: str
    status: UploadStatus
    reason: str | None = Field(
        default=None, description="Why, on `rejected` and `failed`, in plain words"
    )


class GalleryPhoto(BaseModel):
    photo_id: str
    caption: str
    display_name: str
    school: str
    uploaded_at: str
    image_url: str
    thumbnail_url: str
    width: int
    height: int


class ReportIn(_In):
    reason: ReportReason


class ReportAccepted(BaseModel):
    status: Literal["received"] = "received"
