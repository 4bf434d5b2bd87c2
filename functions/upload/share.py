"""The share page of one approved photo (GET /p/{photo_id}), rendered on the server.

Link previews (Facebook, X, LinkedIn, WhatsApp, Slack...) read Open Graph and Twitter card tags
from the HTML and run no script, so the tags must be in the page as served. Caption, display
name and school are the uploader's own text: every value is escaped where it is written. The
share links are plain intent URLs (no third-party script, nothing that tracks a reader); the
"copy link" button is the site's own module (site/js/share.js), as the CSP allows no inline
script. Plain functions, no AWS: the handler passes in the photo and the addresses.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode, urlsplit

from functions.upload.models import GalleryPhoto
from shared.share import share_url

HASHTAG = "#TECHOGNITION"
CONTENT_TYPE = "text/html; charset=utf-8"
SITE_NAME = "#TECHOGNITION"
# Captions run to 280 characters; a post quoting one whole leaves no room for the link.
SHARE_CAPTION_CHARS = 100


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(media_base_url: str) -> str:
    """Stricter than the site's own: scripts and styles from the site only, images from the
    site and the media origin, no connections, forms, frames or base changes."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' {_origin(media_base_url)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def headers(media_base_url: str) -> dict[str, str]:
    """Set by the function itself, so the page carries them locally and behind the CDN."""
    return {
        "Content-Security-Policy": content_security_policy(media_base_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }


def share_text(photo: GalleryPhoto) -> str:
    caption = photo.caption
    if len(caption) > SHARE_CAPTION_CHARS:
        caption = caption[: SHARE_CAPTION_CHARS - 1].rstrip() + "…"
    return f"\u201c{caption}\u201d by {photo.display_name}, {photo.school} {HASHTAG}"


def description(photo: GalleryPhoto) -> str:
    return (
        f"A photo by {photo.display_name} of {photo.school} for {HASHTAG}, the week that "
        "celebrates the UK's school science technicians."
    )


def share_links(url: str, text: str, subject: str) -> list[tuple[str, str]]:
    """(label, href) of each way to share `url`: intent URLs that the networks document, and a
    mailto: (spaces as %20, as RFC 6068 wants, hence `quote` rather than `quote_plus`)."""

    def query(**params: str) -> str:
        return urlencode(params, quote_via=quote)

    return [
        ("Share on X", f"https://x.com/intent/tweet?{query(text=text, url=url)}"),
        ("Share on Facebook", f"https://www.facebook.com/sharer/sharer.php?{query(u=url)}"),
        ("Share on LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?{query(url=url)}"),
        ("Share on WhatsApp", f"https://wa.me/?{query(text=f'{text} {url}')}"),
        ("Share by email", f"mailto:?{query(subject=subject, body=f'{text}{chr(10)}{url}')}"),
    ]


def _document(*, title: str, head: list[str], main: str) -> str:
    meta = "\n".join(head)
    return f"""<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
{meta}
<link rel="stylesheet" href="/css/site.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<script type="module" src="/js/share.js"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header"></header>
<main id="main" tabindex="-1">
<p><a href="/photos.html">\u2190 Latest Photos</a></p>
{main}
</main>
<footer class="site-footer"></footer>
</body>
</html>
"""


def page(photo: GalleryPhoto, *, site_url: str) -> str:
    """The share page of an approved photo, with its preview tags."""
    url = share_url(site_url, photo.photo_id)
    text, summary = share_text(photo), description(photo)
    title = f"{photo.caption} \u00b7 {SITE_NAME}"

    def prop(name: str, value: object) -> str:
        return f'<meta property="{name}" content="{_e(value)}">'

    def name(key: str, value: object) -> str:
        return f'<meta name="{key}" content="{_e(value)}">'

    head = [
        name("description", summary),
        f'<link rel="canonical" href="{_e(url)}">',
        prop("og:type", "article"),
        prop("og:site_name", SITE_NAME),
        prop("og:title", photo.caption),
        prop("og:description", summary),
        prop("og:url", url),
        prop("og:image", photo.image_url),
        prop("og:image:alt", photo.caption),
        *(
            [prop("og:image:width", photo.width), prop("og:image:height", photo.height)]
            if photo.width and photo.height
            else []
        ),
        name("twitter:card", "summary_large_image"),
        name("twitter:title", photo.caption),
        name("twitter:description", summary),
        name("twitter:image", photo.image_url),
        name("twitter:image:alt", photo.caption),
    ]
    links = "\n".join(
        f'  <li><a href="{_e(href)}">{_e(label)}</a></li>'
        for label, href in share_links(url, text, f"{SITE_NAME}: {photo.caption}")
    )
    gallery = f"/photo.html?id={quote(photo.photo_id, safe='')}"
    size = f' width="{photo.width}" height="{photo.height}"' if photo.width and photo.height else ""
    main = f"""<article class="photo-detail">
<figure>
  <img src="{_e(photo.image_url)}" alt="{_e(photo.caption)}"{size}>
  <figcaption><h1>{_e(photo.caption)}</h1>
  <p>{_e(photo.display_name)}, {_e(photo.school)}</p></figcaption>
</figure>
<section class="share" aria-labelledby="share-heading">
<h2 id="share-heading">Share this photo</h2>
<ul class="share-links">
{links}
  <li><button type="button" class="secondary" data-copy="{_e(url)}" hidden>Copy link</button></li>
</ul>
<p class="status" role="status" aria-live="polite" data-copy-status></p>
</section>
<p>{_e(HASHTAG)} celebrates the UK's school science technicians.
<a href="{_e(gallery)}">See this photo in the gallery</a> (or report it), or
<a href="/upload.html">share a photo of your own work</a>.</p>
</article>"""
    return _document(title=title, head=head, main=main)


def not_found_page() -> str:
    """What a link to a photo that is not (or no longer) in the gallery shows."""
    main = """<h1>This photo isn't in the gallery</h1>
<p>It may still be waiting for an organiser to look at it, or it has been removed.</p>
<p><a href="/photos.html">See the latest photos</a></p>"""
    return _document(
        title=f"Photo not found \u00b7 {SITE_NAME}",
        head=['<meta name="robots" content="noindex">'],
        main=main,
    )
