"""The share page's rendering (functions/upload/share.py): preview tags, escaping, share links."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from functions.moderation import emails
from functions.upload import share
from functions.upload.models import GalleryPhoto
from shared import cdn

SITE = "https://techognition.org.uk"
HOSTILE = '</title><script>alert(1)</script>"><img src=x onerror=alert(2)> & more'


def a_photo(**overrides: Any) -> GalleryPhoto:
    fields: dict[str, Any] = {
        "photo_id": "01HXYZ",
        "caption": "Preparing copper sulfate crystals for Year 9",
        "display_name": "Priya Patel",
        "school": "Hilltop Academy",
        "uploaded_at": "2027-03-08T10:00:00Z",
        "image_url": "https://cdn.example/public/01HXYZ/display.jpg",
        "thumbnail_url": "https://cdn.example/public/01HXYZ/thumb.jpg",
        "width": 1600,
        "height": 1200,
    }
    return GalleryPhoto(**{**fields, **overrides})


class Parsed(HTMLParser):
    """What a link-preview crawler reads: meta tags, the title, links, scripts, every element."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.tags: list[str] = []
        self.title = ""
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        elif tag == "a":
            self.links.append(values)
        elif tag == "script":
            self.scripts.append(values)
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def test_the_page_carries_open_graph_and_twitter_card_tags_of_the_photo():
    parsed = Parsed(share.page(a_photo(), site_url=SITE + "/"))
    meta = parsed.meta
    assert meta["og:title"] == "Preparing copper sulfate crystals for Year 9"
    assert meta["og:image"] == "https://cdn.example/public/01HXYZ/display.jpg"
    assert meta["og:url"] == "https://techognition.org.uk/p/01HXYZ"
    assert meta["og:type"] == "article"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1600", "1200")
    for needed in ("Priya Patel", "Hilltop Academy", "#TECHOGNITION"):
        assert needed in meta["og:description"]
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:image"] == meta["og:image"]
    assert parsed.title == "Preparing copper sulfate crystals for Year 9 · #TECHOGNITION"


def test_hostile_user_text_stays_text_everywhere_it_is_written():
    # Given a caption, name and school that try to close the title and run a script
    photo = a_photo(caption=HOSTILE, display_name=HOSTILE[:80], school=HOSTILE)
    text = share.page(photo, site_url=SITE)
    parsed = Parsed(text)
    # Then no element came from them: the only script is the site's own module
    assert parsed.scripts == [{"type": "module", "src": "/js/share.js"}]
    assert parsed.tags.count("img") == 1  # the photo itself, not the caption's
    assert "<script>alert" not in text and "onerror=alert(2)>" not in text
    # and the text reads back exactly as written, in the title and the tags
    assert parsed.title == f"{HOSTILE} · #TECHOGNITION"
    assert parsed.meta["og:title"] == HOSTILE
    assert HOSTILE in parsed.meta["og:description"]


def test_share_links_are_plain_intent_urls_carrying_the_page_and_the_hashtag():
    parsed = Parsed(share.page(a_photo(), site_url=SITE))
    hrefs = {link["href"] for link in parsed.links}
    page = "https://techognition.org.uk/p/01HXYZ"
    by_host = {urlsplit(h).netloc or urlsplit(h).scheme: h for h in hrefs}
    x = parse_qs(urlsplit(by_host["x.com"]).query)
    assert x["url"] == [page] and "#TECHOGNITION" in x["text"][0]
    assert parse_qs(urlsplit(by_host["www.facebook.com"]).query)["u"] == [page]
    assert parse_qs(urlsplit(by_host["www.linkedin.com"]).query)["url"] == [page]
    whatsapp = parse_qs(urlsplit(by_host["wa.me"]).query)["text"][0]
    assert whatsapp.endswith(" " + page) and "Priya Patel" in whatsapp
    mail = by_host["mailto"]
    assert "+" not in mail  # RFC 6068: spaces are %20 in a mailto: URL
    assert page in parse_qs(urlsplit(mail).query)["body"][0]
    # and a copy-link button for the site's module, with no inline handler
    text = share.page(a_photo(), site_url=SITE)
    assert f'data-copy="{page}"' in text and "onclick" not in text


def test_a_long_caption_is_shortened_in_the_shared_text_not_on_the_page():
    photo = a_photo(caption="x" * 280)
    assert len(share.share_text(photo)) < 200
    assert Parsed(share.page(photo, site_url=SITE)).meta["og:title"] == "x" * 280


def test_the_page_forbids_inline_and_third_party_scripts():
    policy = share.headers("https://cdn.example/")["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no other host
    assert directives["img-src"] == "'self' https://cdn.example"
    assert directives["frame-ancestors"] == "'none'"


def test_the_not_found_page_is_a_page_that_search_engines_skip():
    parsed = Parsed(share.not_found_page())
    assert parsed.meta["robots"] == "noindex"
    assert "og:image" not in parsed.meta
    assert any(link["href"] == "/photos.html" for link in parsed.links)


def test_a_takedown_invalidates_the_share_page_and_the_cached_api_read():
    assert cdn.paths("p1") == [
        "/public/p1/display.jpg",
        "/public/p1/thumb.jpg",
        "/p/p1",
        "/api/photos/p1",
        "/photos/p1",
    ]


def test_the_approval_email_links_the_share_page():
    mail = emails.approved(
        to="t@school.example",
        display_name="Priya",
        caption="Crystals",
        site_url=SITE + "/",
        photo_id="01HXYZ",
    )
    assert "https://techognition.org.uk/p/01HXYZ" in mail.text
    assert 'href="https://techognition.org.uk/p/01HXYZ"' in (mail.html or "")
