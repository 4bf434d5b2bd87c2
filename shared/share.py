"""Where a photo's share page lives: one definition for the page's route, its link in the
approval email and the CDN paths a takedown invalidates (functions never import each other)."""

from __future__ import annotations

SHARE_PREFIX = "/p/"  # GET /p/{photo_id} on the site's own address (infra/wiring.py)


def share_path(photo_id: str) -> str:
    return f"{SHARE_PREFIX}{photo_id}"


def share_url(site_url: str, photo_id: str) -> str:
    """The absolute address people share (and Open Graph's og:url)."""
    return site_url.rstrip("/") + share_path(photo_id)
