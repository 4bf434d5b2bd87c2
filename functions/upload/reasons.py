"""Why an upload failed, in one place: a stable code for logs and tests, words for technicians.

Kept free of Pillow so the API can explain a status without importing the image stack.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    TOO_MANY_PIXELS = "too_many_pixels"
    TRUNCATED = "truncated"
    CORRUPT = "corrupt"
    ANIMATED = "animated"
    POLYGLOT = "polyglot"
    TOO_LARGE = "too_large"
    NOT_PROCESSED = "not_processed"  # not the file's fault: retries ran out (dead-letter queue)


TEXT: dict[Reason, str] = {
    Reason.EMPTY: "The file was empty: please choose the photo again and re-upload it.",
    # Each text says what was wrong with this file, so no two reasons share one.
    Reason.UNSUPPORTED: (
        "This file isn't a photo we can read: please upload a JPEG, PNG, WebP or HEIC."
    ),
    Reason.TOO_MANY_PIXELS: (  # the limits of imaging.MAX_PIXELS and MAX_SIDE
        "This picture is too big for us to process: please upload a photo of at most "
        "50 megapixels and at most 20,000 pixels along its longest side (any phone camera "
        "photo is fine)."
    ),
    Reason.TRUNCATED: (
        "The upload was cut short, so the photo is incomplete: please try uploading it again."
    ),
    Reason.CORRUPT: (
        "The picture in this file is damaged, so we can't read it: please save or export the "
        "photo again and re-upload it."
    ),
    Reason.ANIMATED: (
        "This file is an animation (an animated PNG or WebP), not a still photo: please upload "
        "a single still photo."
    ),
    Reason.POLYGLOT: (
        "This file has extra data hidden after the picture, so we can't accept it: please export "
        "or save the photo again as a plain JPEG, PNG, WebP or HEIC and re-upload it."
    ),
    Reason.TOO_LARGE: (
        "The file was bigger than the size you told us: please start the upload again."
    ),
    Reason.NOT_PROCESSED: "We couldn't process this upload, please try again.",
}


class ImageRefused(Exception):
    """The file itself is the problem (never retried): `reason` says which."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


def explain(reason: Reason) -> str:
    return TEXT[reason]
