"""The CDN in front of `public/`: a takedown must also stop CloudFront serving its cached copy.

In the cloud `CDN_DISTRIBUTION_ID` names the distribution (the function needs
`cloudfront:CreateInvalidation` on it); locally there is no CDN and nothing to invalidate.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from shared.aws import client
from shared.observability import logger


class Cdn(Protocol):
    def invalidate(self, photo_id: str) -> None: ...


class NoCdn:
    def invalidate(self, photo_id: str) -> None:
        return None


class CloudFrontCdn:
    def __init__(self, distribution_id: str) -> None:
        self.distribution_id = distribution_id

    def invalidate(self, photo_id: str) -> None:
        client("cloudfront").create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": 1, "Items": [f"/public/{photo_id}/*"]},
                "CallerReference": f"takedown-{photo_id}-{secrets.token_hex(6)}",
            },
        )
        logger.info("cdn invalidated", photo_id=photo_id)


def cdn(distribution_id: str | None) -> Cdn:
    return CloudFrontCdn(distribution_id) if distribution_id else NoCdn()
