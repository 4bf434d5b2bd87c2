"""The media bucket: where each object of a photo lives, and the one adapter that touches it.

Key layout (the only module that spells it; `infra/wiring.py` grants by these prefixes):

    incoming/<photo_id>              the uploaded original (presigned POST; expires after a day)
    private/<photo_id>/display.jpg   the derivatives the processor makes; signed URLs only
    private/<photo_id>/thumb.jpg
    public/<photo_id>/display.jpg    the approved copies, behind the CDN (copied on approval)
    public/<photo_id>/thumb.jpg

An archived photo (its private derivatives expired, its public copies kept) that is taken down
has its public copies copied back to private/ first (`restore`).

Logic sees the ports (`UploadMedia`, `PublishedMedia`), never boto3. The adapter `S3Media` turns
S3's "not there" into `Missing`; every other SDK error propagates, so a queue retries.
No boto3 at import time (cold start): clients come from `shared.aws`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol

from shared.aws import client
from shared.types import is_id

INCOMING_PREFIX = "incoming/"
PRIVATE_PREFIX = "private/"
PUBLIC_PREFIX = "public/"  # the only prefix the CDN may read

Visibility = Literal["private", "public"]
Derivative = Literal["display", "thumb"]
DERIVATIVES: tuple[Derivative, ...] = ("display", "thumb")
DERIVATIVE_CONTENT_TYPE = "image/jpeg"  # the processor re-encodes every upload as JPEG

# Private derivatives never change (a photo's derivatives are made once) and are only read by
# signed URL. Public copies: an hour in browsers (a takedown can't reach them), a day at the CDN
# (a takedown invalidates their exact paths there). Never `immutable`: a takedown changes them.
PRIVATE_CACHE_CONTROL = "public, max-age=31536000, immutable"
PUBLIC_CACHE_CONTROL = "public, max-age=3600, s-maxage=86400"
SIGNED_URL_TTL_S = 15 * 60


# -- the layout --------------------------------------------------------------------------------
def incoming_key(photo_id: str) -> str:
    """Where the uploaded original lands (the upload form accepts only this key)."""
    return f"{INCOMING_PREFIX}{photo_id}"


def photo_id_of(key: str) -> str | None:
    """The photo an uploaded object belongs to; None for any key outside `incoming/<id>`."""
    photo_id = key.removeprefix(INCOMING_PREFIX) if key.startswith(INCOMING_PREFIX) else ""
    return photo_id if is_id(photo_id) else None


def photo_prefix(photo_id: str, visibility: Visibility = "private") -> str:
    """`private/<id>/` or `public/<id>/`: everything derived from one photo, by visibility."""
    return f"{PRIVATE_PREFIX if visibility == 'private' else PUBLIC_PREFIX}{photo_id}/"


def derivative_keys(photo_id: str, visibility: Visibility = "private") -> dict[str, str]:
    """S3 keys of the display image and thumbnail, `private/…` or `public/…`."""
    prefix = photo_prefix(photo_id, visibility)
    return {kind: f"{prefix}{kind}.jpg" for kind in DERIVATIVES}


def photo_prefixes(photo_id: str) -> list[str]:
    """The prefixes that hold a photo's derivatives (erasure deletes all under them)."""
    return [photo_prefix(photo_id, "private"), photo_prefix(photo_id, "public")]


# -- errors and ports --------------------------------------------------------------------------
class Missing(Exception):
    """The object is not (or no longer) in the bucket."""


class TooBig(Exception):
    """The object is larger than the caller allowed."""


class UploadMedia(Protocol):
    """What the upload functions do with the bucket: hand out a form, read the original,
    write derivatives, delete."""

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_s: int
    ) -> tuple[str, dict[str, str]]: ...

    def read(self, key: str, *, max_bytes: int) -> bytes: ...

    def write(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def delete(self, keys: Iterable[str]) -> None: ...


class PublishedMedia(Protocol):
    """What decisions do with a photo's copies: publish, take down, show organisers."""

    def publish(self, photo_id: str) -> None: ...

    def unpublish(self, photo_id: str) -> bool: ...

    def restore(self, photo_id: str) -> None: ...

    def public_urls(self, photo_id: str) -> tuple[str, str]: ...

    def signed_urls(self, photo_id: str) -> tuple[str, str]: ...


class ErasableMedia(Protocol):
    """What erasure needs: every object a photo left behind."""

    def photo_objects(self, photo_id: str) -> list[str]: ...

    def delete(self, keys: Iterable[str]) -> None: ...


# -- the adapter -------------------------------------------------------------------------------
class S3Media:
    """The media bucket through boto3: implements every port above."""

    def __init__(self, bucket: str, base_url: str = "") -> None:
        self.bucket = bucket
        # Absolute base of public/ (the CDN in the cloud, the embedded bucket locally).
        self.base_url = base_url if not base_url or base_url.endswith("/") else base_url + "/"

    # uploads
    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_s: int
    ) -> tuple[str, dict[str, str]]:
        """A SigV4 POST form that only accepts this key, this type, 1..max_bytes, for expires_s.

        boto3 adds the `bucket` and exact-`key` conditions itself from Bucket/Key.
        """
        form = client("s3").generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_s,
        )
        return str(form["url"]), {k: str(v) for k, v in form["fields"].items()}

    def read(self, key: str, *, max_bytes: int) -> bytes:
        """The object's bytes; `Missing` if it is gone, `TooBig` beyond `max_bytes`."""
        s3 = client("s3")
        try:
            obj = s3.get_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.NoSuchKey as exc:
            raise Missing(key) from exc
        body = obj["Body"]
        try:
            if int(obj.get("ContentLength", 0)) > max_bytes:
                raise TooBig(key)
            data: bytes = body.read(max_bytes + 1)
        finally:
            body.close()
        if len(data) > max_bytes:
            raise TooBig(key)
        return data

    def write(self, key: str, data: bytes, *, content_type: str) -> None:
        """A private derivative (made once, never changed: cached as immutable)."""
        client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=PRIVATE_CACHE_CONTROL,
        )

    def delete(self, keys: Iterable[str]) -> None:
        objects = [{"Key": k} for k in keys]
        if objects:  # deleting what is already gone succeeds: S3 deletes are idempotent
            client("s3").delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )

    # publishing
    def publish(self, photo_id: str) -> None:
        """Copy the private derivatives to public/ (idempotent)."""
        s3 = client("s3")
        public = derivative_keys(photo_id, "public")
        for kind, key in derivative_keys(photo_id, "private").items():
            # REPLACE: the private derivative's year-long immutable Cache-Control must not reach
            # browsers, as a takedown could never take back what they hold.
            s3.copy_object(
                Bucket=self.bucket,
                Key=public[kind],
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                ContentType=DERIVATIVE_CONTENT_TYPE,
                CacheControl=PUBLIC_CACHE_CONTROL,
            )

    def restore(self, photo_id: str) -> None:
        """Copy the public copies back to private/ where a private derivative is missing (an
        archived photo's expired by lifecycle), so that a takedown may delete the public ones
        and a later approval publish them again. Idempotent: what is there is left alone, and a
        copy missing from both sides is skipped (a takedown must not wait on it)."""
        s3 = client("s3")
        there = set(self.listed(photo_prefix(photo_id, "private")))
        public = set(self.listed(photo_prefix(photo_id, "public")))
        for kind, source in derivative_keys(photo_id, "public").items():
            key = derivative_keys(photo_id, "private")[kind]
            if key in there or source not in public:
                continue
            s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source},
                MetadataDirective="REPLACE",
                ContentType=DERIVATIVE_CONTENT_TYPE,
                CacheControl=PRIVATE_CACHE_CONTROL,
            )

    def unpublish(self, photo_id: str) -> bool:
        """Delete the public copies; whether there were any."""
        keys = self.listed(photo_prefix(photo_id, "public"))
        self.delete(keys)
        return bool(keys)

    def public_urls(self, photo_id: str) -> tuple[str, str]:
        """(display, thumbnail) URLs of the public copies (behind the CDN)."""
        keys = derivative_keys(photo_id, "public")
        return self.base_url + keys["display"], self.base_url + keys["thumb"]

    def signed_urls(self, photo_id: str, expires_s: int = SIGNED_URL_TTL_S) -> tuple[str, str]:
        """(display, thumbnail) signed GET URLs of the private derivatives, for organisers."""
        keys = derivative_keys(photo_id, "private")
        return self.signed_url(keys["display"], expires_s), self.signed_url(
            keys["thumb"], expires_s
        )

    def signed_url(self, key: str, expires_s: int = SIGNED_URL_TTL_S) -> str:
        return str(
            client("s3").generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=expires_s,
            )
        )

    # erasure
    def listed(self, prefix: str) -> list[str]:
        """Every key under `prefix` (all pages)."""
        keys: list[str] = []
        paginator = client("s3").get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def photo_objects(self, photo_id: str) -> list[str]:
        """Every object a photo has in the bucket now: its original and its derivatives."""
        raw = incoming_key(photo_id)
        found = [k for k in self.listed(raw) if k == raw]
        for prefix in photo_prefixes(photo_id):
            found += self.listed(prefix)
        return found

    def delete_photo(self, photo_id: str) -> int:
        """Delete every object of a photo; how many there were."""
        keys = self.photo_objects(photo_id)
        self.delete(keys)
        return len(keys)
