"""The media bucket adapter of the upload functions (boto3 behind the `Media` port).

The logic sees `Media` (a port) and the photo record helpers of `shared.photos`; S3 errors that
mean "not there" become `Missing`, everything else propagates so the queue retries.
"""

from __future__ import annotations

from collections.abc import Iterable

from functions.upload.logic import Missing, TooBig
from shared.aws import client

# Private derivatives never change (a photo's derivatives are made once) and are only read by
# signed URL; the public copies get `PUBLIC_CACHE` when moderation publishes them.
IMMUTABLE = "public, max-age=31536000, immutable"


class S3Media:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

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
        client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    def delete(self, keys: Iterable[str]) -> None:
        objects = [{"Key": k} for k in keys]
        if objects:  # deleting what is already gone succeeds: S3 deletes are idempotent
            client("s3").delete_objects(
                Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
            )

