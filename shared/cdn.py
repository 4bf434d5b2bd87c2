"""The CDN in front of `public/`: a takedown must also stop CloudFront serving its cached copy.

A takedown invalidates the exact paths of the photo's public copies, its share page and its
cached API read (CloudFront allows only 15 wildcard invalidations in flight, and thousands of
exact paths). No API function calls CloudFront: a takedown (a decision, a report, an erasure)
owes its invalidation in its own transaction (the outbox, shared/outbox.py), and the outbox
consumer (functions/effects/) makes it, retried until CloudFront accepts it, since a takedown
the CDN keeps serving is no takedown. In the cloud `CDN_DISTRIBUTION_ID` names the
distribution; locally there is no CDN and nothing to invalidate.
"""

from __future__ import annotations

from shared.media import derivative_keys
from shared.share import share_path

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
