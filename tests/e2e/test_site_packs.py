"""The pack order page and the printable messages page, in Debian's Chromium under the site's
CSP: a school orders a pack from the form (and gets the email), a repeat and a bad postcode are
explained in place, and the published messages print without the site's furniture."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, sent_emails, sign_in, wait_for
from tests.e2e.site_helpers import PHONE, approve_message, chromium, page_of, screenshot
from tests.e2e.test_site_pages import A11Y

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def severe_axe_violations(browser: Any, url: str, ready: str) -> list[str]:
    """axe-core's serious and critical findings (in a context without the CSP, only so that
    axe can be injected)."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url)
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            f"{v['impact']} {v['id']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    finally:
        context.close()


@contextmanager
def page_then_axe(browser: Any, url: str, ready: str, **viewport: Any) -> Iterator[Any]:
    """A page for the test; once it is done, no script error on it and, at `url` once `ready`
    is there, no serious or critical axe finding."""
    with page_of(browser, **viewport) as page:
        yield page
        assert page.errors == []
    assert severe_axe_violations(browser, url, ready) == []


def fill(page: Any, school: str, email: str, postcode: str = "sw1a 1aa") -> None:
    page.get_by_label("School", exact=True).fill(school)
    page.get_by_label("Your name").fill("Sam Technician")
    page.get_by_label("Your email").fill(email)
    page.get_by_label("Address line 1").fill("1 School Lane")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_label("I agree").check()


def test_a_school_orders_a_pack_from_the_page(browser, stack):
    tag = uuid.uuid4().hex[:8]
    email = f"pack-{tag}@school.test"
    with page_then_axe(
        browser, f"{stack['api_url']}/packs.html", "#pack-form[data-ready]", viewport=PHONE
    ) as page:
        # Given the page, which says packs are available
        page.goto(f"{stack['api_url']}/packs.html")
        page.locator("#pack-form[data-ready]").wait_for(state="attached")
        assert "Packs are available" in page.locator("#availability").inner_text()
        assert page.evaluate(A11Y) == []
        # When a wrong postcode is sent, it is explained beside the field
        fill(page, f"Westminster School {tag}", email, postcode="90210")
        page.get_by_role("button", name="Order our pack").click()
        page.locator("#postcode[aria-invalid=true]").wait_for()
        assert "UK postcode" in page.locator("#postcode-error").inner_text()
        # When the postcode is put right and the order sent
        page.get_by_label("Postcode").fill("sw1a 1aa")
        page.get_by_role("button", name="Order our pack").click()
        page.locator("#pack-status.ok").wait_for()
        # Then the page thanks them, and the email arrives
        assert "your pack is ordered" in page.locator("#pack-status").inner_text()
        assert page.locator("#postcode[aria-invalid]").count() == 0
        wait_for(lambda: [m for m in sent_emails(stack) if email in json.dumps(m)])
        screenshot(page, "packs", at="#pack-status")
        # When the same school orders again, it hears that it has one already
        fill(page, f"westminster school {tag.upper()}", f"other-{tag}@school.test")
        page.get_by_role("button", name="Order our pack").click()
        page.get_by_text("already ordered a pack").wait_for()


def test_the_published_messages_print_on_their_own(browser, stack):
    api = stack["api_url"]
    text = f"Dear Minister,\nPlease fund technician training ({uuid.uuid4().hex[:6]})."
    sent = requests.post(
        f"{api}/messages", json={"message": text, "name": "Chris", "role": "teacher"}, timeout=10
    )
    auth = {"Authorization": f"Bearer {sign_in(stack, 'organiser')}"}
    approve_message(api, auth, sent.json()["message_id"])
    with page_then_axe(browser, f"{api}/messages-print.html", "#print-list[data-loaded]") as page:
        page.goto(f"{api}/messages.html")
        page.get_by_role("link", name="Every published message on one page").click()
        page.locator("#print-list[data-loaded]").wait_for(state="attached")
        # The message is there with its line break, its author and role, and the count
        item = page.locator("#print-list li", has_text="Please fund technician training")
        assert "Dear Minister," in item.inner_text() and "Chris, Teacher" in item.inner_text()
        assert "message" in page.locator("#print-summary").inner_text()
        assert page.get_by_role("button", name="Print or save as PDF").is_enabled()
        assert page.evaluate(A11Y) == []
        # In print, the site's header, footer and buttons are gone; the messages stay
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible()
        assert not page.get_by_role("button", name="Print or save as PDF").is_visible()
        assert item.is_visible()
        page.emulate_media(media="screen")
        screenshot(page, "messages-print")


def test_organisers_dispatch_a_pack_and_download_the_csvs_in_the_console(browser, stack):
    from tests.e2e.site_helpers import sign_in_to_console

    api = stack["api_url"]
    school = f"Console Academy {uuid.uuid4().hex[:8]}"
    ordered = requests.post(
        f"{api}/packs",
        timeout=10,
        json={
            "school": school,
            "contact_name": "Cam Tech",
            "email": "cam@console.test",
            "address_line1": "3 Bench Road",
            "town": "York",
            "postcode": "YO1 7HH",
            "consent": True,
        },
    )
    assert ordered.status_code == 202, ordered.text
    with page_of(browser) as page:
        sign_in_to_console(page, stack)
        page.get_by_role("tab", name="Export").click()
        item = page.locator("#packs li", has_text=school)
        item.wait_for()
        assert "3 Bench Road, York, YO1 7HH" in item.inner_text()
        assert page.evaluate(A11Y) == []
        # When the organiser marks it dispatched
        item.get_by_role("button", name=f"Mark {school} dispatched").click()
        item.get_by_text(re.compile(r"^Dispatched ")).wait_for()
        # Then the API says so, and the dispatch CSV has it
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the dispatch list (CSV)").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        row = next(line for line in text.splitlines() if school in line)
        assert "3 Bench Road" in row and row.rstrip().endswith("Z")  # dispatched_at
        with page.expect_download() as messages:
            page.get_by_role("button", name="Download messages to government (CSV)").click()
        assert (
            Path(messages.value.path())
            .read_text(encoding="utf-8")
            .startswith("message,name,role,published_at")
        )
        screenshot(page, "admin-packs", at="#packs-section")
        assert page.errors == []
