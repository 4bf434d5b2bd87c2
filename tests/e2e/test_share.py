"""Share pages over HTTP on the local stack: what a link preview reads, the image it fetches, the
page gone with a takedown; and in the browser, the gallery's Share link and the pledge's."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import wait_for
from tests.e2e.site_helpers import (
    PHONE,
    approve,
    chromium,
    page_of,
    screenshot,
    take_down,
    upload_photo,
)
from tests.unit.test_share_page import Parsed

pytestmark = pytest.mark.e2e

HOSTILE = 'Crystals </title><script>alert("x")</script> & <b>more</b>'


def test_a_shared_link_previews_the_photo_and_disappears_with_a_takedown(stack):
    from PIL import Image

    # Given an approved photo with a caption that tries to break out of the page
    api = stack["api_url"]
    photo_id = upload_photo(
        api,
        caption=HOSTILE,
        name="Priya Patel",
        school="Hilltop Academy",
        email=f"{uuid.uuid4().hex[:8]}@school.example",
    )
    approve(stack, photo_id)
    # When a link preview fetches its share page on the site's own address
    page = requests.get(f"{api}/p/{photo_id}", timeout=10)
    # Then it is HTML with the photo's Open Graph and Twitter card tags, and a strict CSP
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    parsed = Parsed(page.text)
    meta = parsed.meta
    assert meta["og:title"] == HOSTILE
    assert meta["og:url"] == f"{api}/p/{photo_id}"
    for named in ("Priya Patel", "Hilltop Academy", "#TECHOGNITION"):
        assert named in meta["og:description"]
    assert meta["twitter:card"] == "summary_large_image"
    assert parsed.scripts == [{"type": "module", "src": "/js/share.js"}]  # none of the caption's
    # and its og:image is an absolute URL that answers with the image itself
    assert meta["og:image"].startswith(("http://", "https://"))
    image = requests.get(meta["og:image"], timeout=10)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(image.content)) as decoded:
        assert decoded.format == "JPEG"
        assert (str(decoded.width), str(decoded.height)) == (
            meta["og:image:width"],
            meta["og:image:height"],
        )
    # When an organiser takes the photo down
    take_down(stack, photo_id, "inappropriate")
    # Then the share page is an HTML 404 at once, and the image is gone too (once the outbox
    # performed the takedown the decision owes)
    gone = requests.get(f"{api}/p/{photo_id}", timeout=10)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("text/html")
    assert "og:image" not in Parsed(gone.text).meta
    wait_for(
        lambda: requests.get(meta["og:image"], timeout=10).status_code in (403, 404), timeout_s=30
    )


def test_an_unknown_photo_has_an_html_404_share_page(stack):
    answer = requests.get(f"{stack['api_url']}/p/NoSuchPhoto0001", timeout=10)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_the_gallerys_share_link_opens_the_share_page(browser, stack):
    from tests.e2e.test_site_a11y import AXE, axe_page, severe_violations

    # Given an approved photo in Latest Photos
    api = stack["api_url"]
    caption = f"Share me {uuid.uuid4().hex[:6]}"
    photo_id = upload_photo(api, caption=caption, email=f"{uuid.uuid4().hex[:8]}@s.example")
    approve(stack, photo_id)
    with page_of(browser, PHONE) as page:
        page.goto(f"{api}/photos.html")
        # When a visitor follows the photo's Share link
        page.get_by_role("link", name=f"Share: {caption}").click()
        # Then its share page opens, under the site's CSP, with working share links
        page.wait_for_url(f"{api}/p/{photo_id}")
        assert page.title() == f"{caption} · #TECHOGNITION"
        assert page.get_by_role("heading", level=1).inner_text() == caption
        page.locator(".site-header a.brand").wait_for()  # the site's own module ran
        x = page.get_by_role("link", name="Share on X").get_attribute("href")
        assert x.startswith("https://x.com/intent/tweet?") and photo_id in x
        # and the copy button, shown by the module, copies the page's address
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=api)
        page.get_by_role("button", name="Copy link").click()
        page.get_by_text("Link copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == f"{api}/p/{photo_id}"
        assert page.errors == []
        screenshot(page, "share")
    # and the page passes axe-core (serious or critical violations fail)
    assert AXE.exists()
    with axe_page(browser, PHONE) as checked:
        checked.goto(f"{api}/p/{photo_id}")
        checked.locator(".site-header a.brand").wait_for()
        assert severe_violations(checked) == []


def test_a_photo_page_links_its_share_page(browser, stack):
    api = stack["api_url"]
    photo_id = upload_photo(
        api, caption=f"Photo page {uuid.uuid4().hex[:6]}", email=f"{uuid.uuid4().hex[:8]}@s.example"
    )
    approve(stack, photo_id)
    with page_of(browser) as page:
        page.goto(f"{api}/photo.html?id={photo_id}")
        page.get_by_role("link", name="Share this photo").click()
        page.wait_for_url(f"{api}/p/{photo_id}")
        assert page.errors == []


def test_a_confirmed_pledge_offers_share_links_for_the_pledge_page(browser, stack):
    from urllib.parse import parse_qs, urlsplit

    from tests.e2e.conftest import wait_for
    from tests.e2e.test_pledges import confirm_links

    # Given a pledge whose confirmation link arrived by email
    api = stack["api_url"]
    email = f"share-{uuid.uuid4().hex[:8]}@school.test"
    requests.post(
        f"{api}/pledges",
        json={
            "name": "Sam Leader",
            "email": email,
            "role": "school_leader",
            "organisation": "Hill School",
            "show_on_wall": False,
        },
        timeout=10,
    ).raise_for_status()
    (link,) = wait_for(lambda: confirm_links(stack, email))
    with page_of(browser, PHONE) as page:
        # When they confirm it on the page
        page.goto(link)
        page.get_by_role("button", name="Confirm my pledge").click()
        share = page.locator("#share")
        share.wait_for(state="visible")
        # Then plain share links carry the pledge page and the campaign's words
        x = parse_qs(
            urlsplit(share.get_by_role("link", name="Share on X").get_attribute("href")).query
        )
        assert x["url"] == [f"{api}/pledge.html"]
        assert x["text"][0].startswith("I've pledged my support for school science technicians")
        assert "#TECHOGNITION" in x["text"][0]
        for network in ("Facebook", "LinkedIn", "WhatsApp"):
            href = share.get_by_role("link", name=f"Share on {network}").get_attribute("href")
            assert "pledge.html" in href
        assert (
            share.get_by_role("link", name="Share by email")
            .get_attribute("href")
            .startswith("mailto:?subject=")
        )
        assert share.get_by_role("button", name="Copy link").is_visible()
        assert page.errors == []
