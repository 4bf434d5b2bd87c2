"""Every page of the site loads without script errors, passes basic accessibility checks, and
is photographed at phone and desktop widths for docs/SITE.md (docs/screenshots/)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import sent_emails, sign_in, wait_for
from tests.e2e.site_helpers import (
    PHONE,
    approve,
    approve_message,
    chromium,
    page_of,
    screenshot,
    sign_in_to_console,
    upload_photo,
)

pytestmark = pytest.mark.e2e

# path, screenshot name, a selector that shows the page has loaded its data
PAGES = [
    ("/", "home", "#gallery[data-loaded]"),
    ("/upload.html", "upload-form", "#upload-form"),
    ("/photos.html", "photos", "#gallery[data-loaded]"),
    ("/pledge.html", "pledge", "#wall li"),
    ("/signup.html", "signup", "#signup-form"),
    ("/signup/unsubscribe?token=example", "signup-unsubscribe", "#token-form"),
    ("/messages.html", "messages", "#wall li"),
    ("/draws.html", "draws-list", "#draws li, #draws-status:not(:empty)"),
    ("/verify.html", "verify-form", "#verify-form"),
    ("/admin.html", "admin-signin", "#signin-form"),
]

# Every form control has a label; one h1; a main landmark; the skip link goes to it.
A11Y = """() => {
  const problems = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.closest("[hidden], dialog:not([open])")) continue;
    if (!el.labels?.length && !el.getAttribute("aria-label")) {
      problems.push(`unlabelled ${el.outerHTML}`);
    }
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  if (!document.querySelector("main#main")) problems.push("no main landmark");
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`img without alt ${img.src}`);
  }
  if (document.documentElement.lang !== "en-GB") problems.push("no lang");
  return problems;
}"""


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def seeded(stack: dict[str, Any]) -> dict[str, Any]:
    """Some content, so the screenshots show pages as people will see them."""
    api = stack["api_url"]
    photos = []
    for caption in (
        "Preparing copper sulfate crystals for Year 9",
        "Our prep room, ready for Monday",
    ):
        photo_id = upload_photo(api, caption=caption, email=f"{uuid.uuid4().hex[:8]}@s.example")
        approve(stack, photo_id)
        photos.append(photo_id)
    pledger = f"{uuid.uuid4().hex[:8]}@school.example"
    requests.post(
        f"{api}/pledges",
        json={
            "name": "Priya Shah",
            "email": pledger,
            "role": "school_leader",
            "organisation": "Riverside School",
            "show_on_wall": True,
        },
        timeout=5,
    ).raise_for_status()
    # A pledge reaches the wall once confirmed with the emailed link's token
    (mail,) = wait_for(lambda: [m for m in sent_emails(stack) if pledger in str(m)])
    link = re.search(r"/pledge/confirm\?token=([\w-]+)", str(mail))
    assert link
    requests.post(
        f"{api}/pledges/confirm", json={"token": link.group(1)}, timeout=5
    ).raise_for_status()
    sent = requests.post(
        f"{api}/messages",
        json={
            "message": "Technicians keep practical science safe: fund their training.",
            "name": "Chris",
            "role": "teacher",
        },
        timeout=5,
    )
    sent.raise_for_status()
    token = sign_in(stack, "organiser")
    auth = {"Authorization": f"Bearer {token}"}
    pending = requests.get(
        f"{api}/admin/messages", params={"status": "pending"}, headers=auth, timeout=5
    ).json()["items"]
    for message in pending:
        approve_message(api, auth, message["message_id"])
    return {"photos": photos}


@pytest.mark.parametrize(("path", "name", "ready"), PAGES, ids=[p[1] for p in PAGES])
def test_each_page_loads_is_accessible_and_is_photographed(
    browser, stack, seeded, path, name, ready
):
    with page_of(browser, PHONE) as page:
        page.goto(stack["api_url"] + path)
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(A11Y) == []
        # The first Tab lands on the skip link, which is visible when focused
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        screenshot(page, name)
        assert page.errors == []


def test_the_photo_page_and_the_console_queue_are_photographed(browser, stack, seeded):
    with page_of(browser) as page:
        page.goto(f"{stack['api_url']}/photo.html?id={seeded['photos'][0]}")
        page.locator("#photo:not([hidden])").wait_for()
        page.wait_for_function(
            "(i => i.complete && i.naturalWidth > 1)(document.querySelector('#photo-image'))"
        )
        assert page.evaluate(A11Y) == []
        screenshot(page, "photo-detail")
        sign_in_to_console(page, stack)
        page.locator("#queue li").first.wait_for()
        assert page.evaluate(A11Y) == []
        screenshot(page, "admin-console")
        assert page.errors == []
