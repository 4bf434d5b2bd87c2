"""The CDN in front of `public/`: a takedown must also stop CloudFront serving its cached copy.

A takedown invalidates the exact paths of the photo's public copies, its share page and its
cached API read (CloudFront allows only 15 wildcard invalidations in flight, and thousands of
exact paths). The API functions do not call
CloudFront themselves: they put the invalidation on a queue (`QueuedCdn`) whose consumer
(`functions/moderation/invalidations.py`) retries it until CloudFront accepts it, since a
takedown the CDN keeps serving is no takedown. In the cloud `CDN_DISTRIBUTION_ID` names the
distribution; locally there is no CDN, the queue still carries the request and its consumer has
nothing to invalidate.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

from shared.aws import client
from shared.observability import logger
from shared.photos import derivative_keys
from shared.share import share_path
from shared.types import is_id

QUEUE = "cdn-invalidations"  # its name in infra/wiring.py


class Cdn(Protocol):
    def invalidate(self, photo_id: str) -> None: ...


API_PREFIX = "/api"  # the pages' path to the API through the CDN (infra/constructs/api_cdn.py)


def paths(photo_id: str) -> list[str]:
    """The exact CDN paths of a photo's public copies: the display image and the thumbnail,
    its share page, and the cached API read of it. The viewer function turns `/api/photos/x`
    into `/photos/x` before the cache looks it up, and CloudFront's guide asks for both URIs
    to be invalidated when a function rewrites one."""
    return [
        *("/" + key for key in derivative_keys(photo_id, "public").values()),
        share_path(photo_id),
        f"{API_PREFIX}/photos/{photo_id}",
        f"/photos/{photo_id}",
    ]


def reference(photo_id: str) -> str:
    """A CallerReference: retries of one request reuse it, so CloudFront counts it once."""
    return f"takedown-{photo_id}-{secrets.token_hex(6)}"


class NoCdn:
    def invalidate(self, photo_id: str) -> None:
        return None


class CloudFrontCdn:
    def __init__(self, distribution_id: str) -> None:
        self.distribution_id = distribution_id

    def invalidate(self, photo_id: str, caller_reference: str | None = None) -> None:
        items = paths(photo_id)
        client("cloudfront").create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                "CallerReference": caller_reference or reference(photo_id),
            },
        )
        logger.info("cdn invalidated", photo_id=photo_id)


class QueuedCdn:
    """Invalidations as messages on the invalidation queue; retried there until they succeed."""

    def __init__(self, queue_url: str, direct: Cdn) -> None:
        self.queue_url = queue_url
        self.direct = direct

    def invalidate(self, photo_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        body = json.dumps({"photo_id": photo_id, "reference": reference(photo_id)})
        try:
            client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=body)
        except (BotoCoreError, ClientError) as exc:
            # The takedown is committed and answers a success: try the CDN itself once.
            logger.warning("invalidation not queued: invalidating directly",
                           photo_id=photo_id, error_type=type(exc).__name__)
            try:
                self.direct.invalidate(photo_id)
            except (BotoCoreError, ClientError) as again:
                logger.error("cdn invalidation lost", photo_id=photo_id,
                             error_type=type(again).__name__)
            return
        logger.info("cdn invalidation queued", photo_id=photo_id)


def parse(body: str) -> tuple[str, str] | None:
    """(photo_id, caller reference) of a queued invalidation; None for anything else."""
    try:
        message: Any = json.loads(body)
        photo_id, ref = message["photo_id"], message["reference"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(photo_id, str) or not is_id(photo_id) or not isinstance(ref, str) or not ref:
        return None
    return photo_id, ref


def cdn(distribution_id: str | None, queue_url: str | None = None) -> Cdn:
    """Queued when the function may send to the invalidation queue, else direct (or none)."""
    direct: Cdn = CloudFrontCdn(distribution_id) if distribution_id else NoCdn()
    return QueuedCdn(queue_url, direct) if queue_url else direct
