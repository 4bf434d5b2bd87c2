"""The site's journeys in a real browser (Debian Chromium via Playwright) against the local stack.

Each test is what a person does: a technician uploads from the upload page, an organiser
moderates with the keyboard, a supporter pledges and signs up, anyone verifies a draw.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import sent_emails, wait_for
from tests.e2e.site_helpers import (
    PHONE,
    approve,
    chromium,
    email_link,
    page_of,
    photo_jpeg,
    screenshot,
    sign_in_to_console,
    upload_photo,
    upload_status,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser(stack: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def test_a_technician_uploads_a_photo_from_the_page_and_sees_it_wait_for_moderation(
    browser, stack, tmp_path
):
    # Given a real photo on the phone and the upload page
    photo = tmp_path / "prep-room.jpg"
    photo.write_bytes(photo_jpeg())
    caption = unique("Setting up the titration practical")
    with page_of(browser, PHONE) as page:
        page.goto(f"{stack['api_url']}/upload.html")
        # When they fill in the form in plain words and send it
        reserved: list[dict] = []
        page.on(
            "request",
            lambda r: (
                reserved.append(r.post_data_json)
                if r.method == "POST" and r.url.endswith("/uploads")
                else None
            ),
        )
        page.locator("#file").set_input_files(str(photo))
        page.get_by_label("Caption").fill(caption + "\n with Year 10")  # Enter in the box
        page.get_by_label("Your name as it should appear").fill("Sam Technician")
        page.get_by_label("School or college").fill("Hilltop Academy")
        page.get_by_label("Email", exact=True).fill(f"{uuid.uuid4().hex[:8]}@school.example")
        page.get_by_label("Everyone who can be recognised").check()
        page.get_by_role("button", name="Upload photo").click()
        # Then the progress bar fills and the status reaches "waiting for moderation"
        status = page.locator("#upload-status")
        status.locator("text=waiting for moderation").wait_for(timeout=30_000)
        assert page.locator("#progress").evaluate("p => p.value") == 100
        assert status.get_attribute("data-state") == "pending_moderation"
        assert page.errors == []
        # and the caption, a one-line field, went as one line (a line break there is a 422)
        assert reserved[0]["caption"] == caption + " with Year 10"
        screenshot(page, "upload", at="#upload-status")


def test_the_upload_page_refuses_a_file_that_is_not_a_photo_or_too_large_before_sending(
    browser, stack
):
    with page_of(browser) as page:
        page.goto(f"{stack['api_url']}/upload.html")
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
        picker = page.locator("#file")
        # A text file is not a photo
        picker.set_input_files(
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}
        )
        assert "not a photo we can take" in page.locator("#file-error").inner_text()
        # A 16 MiB JPEG is over the 15 MiB limit
        picker.set_input_files(
            {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (16 * 1024 * 1024)}
        )
        assert "the limit is 15 MB" in page.locator("#file-error").inner_text()
        page.get_by_role("button", name="Upload photo").click()
        assert page.locator("#file").evaluate("e => e === document.activeElement")
        assert sent == []


def test_an_organiser_approves_and_rejects_with_the_keyboard_and_latest_photos_shows_it(
    browser, stack
):
    # Given two photos waiting for moderation
    keep, drop = unique("Fume cupboard check"), unique("Blurry shelf")
    keep_id = upload_photo(stack["api_url"], caption=keep, email=f"{uuid.uuid4().hex[:6]}@a.ex")
    drop_id = upload_photo(stack["api_url"], caption=drop, email=f"{uuid.uuid4().hex[:6]}@b.ex")
    with page_of(browser) as page:
        # When the organiser signs in and works through the queue with the keyboard only
        sign_in_to_console(page, stack)
        queue = page.locator("#queue")
        queue.locator(f"[data-photo-id='{keep_id}']").wait_for()
        assert queue.locator(f"[data-photo-id='{keep_id}'] img").count() == 1  # thumbnail
        screenshot(page, "admin-queue")

        def select(photo_id: str) -> None:
            for _ in range(50):
                if (
                    queue.locator("li[aria-current='true']").get_attribute("data-photo-id")
                    == photo_id
                ):
                    return
                page.keyboard.press("j")
            raise AssertionError(f"{photo_id} not reachable with j")

        page.keyboard.press("k")  # start from the top
        select(keep_id)
        page.keyboard.press("a")
        queue.locator(f"[data-photo-id='{keep_id}']").wait_for(state="detached")
        select(drop_id)
        page.keyboard.press("r")
        page.locator("#reason-dialog").wait_for(state="visible")
        page.keyboard.press("4")  # "blurred, too dark or too small"
        queue.locator(f"[data-photo-id='{drop_id}']").wait_for(state="detached")
        assert "Rejected" in page.locator("#console-status").inner_text()
        assert page.errors == []
    # Then the uploader sees the outcomes, with the reason in words
    assert upload_status(stack["api_url"], keep_id) == "approved"
    rejected = requests.get(f"{stack['api_url']}/uploads/{drop_id}", timeout=5).json()
    assert rejected["status"] == "rejected"
    assert rejected.get("reason")
    # And once the outbox has copied it to public/ and listed it (a moment after the decision),
    # the approved photo is in Latest Photos, with its own page
    wait_for(
        lambda: requests.get(f"{stack['api_url']}/photos/{keep_id}", timeout=5).status_code == 200,
        timeout_s=30,
    )
    with page_of(browser) as page:
        page.goto(f"{stack['api_url']}/photos.html")
        page.get_by_text(keep).wait_for()
        assert page.get_by_text(drop).count() == 0
        page.get_by_text(keep).click()
        page.locator("#photo-caption", has_text=keep).wait_for()
        page.wait_for_function(  # the re-encoded image itself loads (HTTP 200, decodable)
            "(i => i.complete && i.naturalWidth > 1)(document.querySelector('#photo-image'))"
        )
        assert page.errors == []


def test_a_reported_photo_leaves_latest_photos_at_once(browser, stack):
    caption = unique("Spectrometer calibration")
    photo_id = upload_photo(
        stack["api_url"], caption=caption, email=f"{uuid.uuid4().hex[:8]}@s.example"
    )
    approve(stack, photo_id)
    with page_of(browser, PHONE) as page:
        page.goto(f"{stack['api_url']}/photo.html?id={photo_id}")
        page.locator("#photo-caption", has_text=caption).wait_for()
        screenshot(page, "photo")
        page.get_by_text("Report this photo").click()
        page.get_by_label("What is wrong with this photo?").fill("A pupil's face is visible")
        page.get_by_role("button", name="Send report").click()
        page.locator("#report-status", has_text="hidden until an organiser").wait_for()
        page.goto(f"{stack['api_url']}/photos.html")
        page.locator("#gallery[data-loaded]").wait_for(state="attached")
        assert page.get_by_text(caption).count() == 0
        assert page.errors == []


def pledge_link(stack: dict[str, Any], to: str) -> str:
    """The pledge confirmation link of the email the embedded SES sent `to`."""
    pattern = re.compile(r"https?://[^\s\"'<>\\]+/pledge/confirm\?token=[\w-]+")

    def find() -> str | None:
        for message in reversed(sent_emails(stack)):
            if to in json.dumps(message):
                found = pattern.search(json.dumps(message).replace("\\/", "/"))
                if found:
                    return found.group(0)
        return None

    return str(wait_for(find, timeout_s=15))


def test_a_pledge_counts_on_the_page_once_confirmed_from_the_email_link(browser, stack):
    email = f"{uuid.uuid4().hex[:8]}@school.example"
    name = unique("Alex Teacher")
    with page_of(browser) as page:
        page.goto(f"{stack['api_url']}/pledge.html")
        before = shown_count(page)
        # When a teacher pledges on the page
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Your role").select_option("teacher")
        page.get_by_label("School or organisation").fill("Riverside School")
        page.get_by_role("button", name="Make my pledge").click()
        # Then the page asks them to confirm from their email, and nothing counts yet
        page.locator("#pledge-status", has_text="we have sent you an email").wait_for()
        assert summary_count(stack) == before
        # The link in the email opens the confirm page: opening it changes nothing...
        link = pledge_link(stack, email)
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.goto(link)
        page.wait_for_load_state("networkidle")
        assert posts == []
        assert summary_count(stack) == before
        screenshot(page, "pledge-confirm")
        # ...until the button is pressed
        page.get_by_role("button", name="Confirm my pledge").click()
        page.locator("#confirm-status", has_text="your pledge is confirmed").wait_for()
        assert page.locator("#share-link").get_attribute("href", timeout=5_000) == (
            f"{stack['api_url']}/pledge.html"
        )
        # And the pledge page counts it and shows it on the wall
        page.get_by_role("link", name="See the count and the pledge wall").click()
        page.locator("#wall", has_text=name).wait_for()
        assert shown_count(page) >= before + 1
        assert page.errors == []


def shown_count(page: Any) -> int:
    """The live count once loaded (polled from Python: the site's CSP forbids eval)."""
    text = wait_for(lambda: (t := page.locator("#pledge-count").inner_text()) != "\u2013" and t)
    return int(text.replace(",", ""))


def summary_count(stack: dict[str, Any]) -> int:
    response = requests.get(f"{stack['api_url']}/pledges/summary", timeout=5)
    response.raise_for_status()
    return int(response.json()["count"])


def test_a_sign_up_is_confirmed_from_the_email_link_only_when_the_button_is_pressed(browser, stack):
    email = f"{uuid.uuid4().hex[:8]}@supporter.example"
    with page_of(browser, PHONE) as page:
        page.goto(f"{stack['api_url']}/signup.html")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Your name").fill("Jo Supporter")
        page.get_by_label("I agree to receive emails").check()
        page.get_by_role("button", name="Sign up").click()
        page.locator("#signup-status", has_text="we have sent you an email").wait_for()
        # The link in the email opens the confirm page: opening it changes nothing...
        confirm = email_link(stack, email, "confirm")
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.goto(confirm)
        page.wait_for_load_state("networkidle")
        assert posts == []
        screenshot(page, "signup-confirm")
        # ...until the button is pressed
        page.get_by_role("button", name="Confirm my sign-up").click()
        page.locator("#token-status", has_text="your sign-up is confirmed").wait_for()
        # And the unsubscribe link works the same way
        page.goto(email_link(stack, email, "unsubscribe"))
        page.get_by_role("button", name="Unsubscribe").click()
        page.locator("#token-status", has_text="You are unsubscribed").wait_for()
        assert page.errors == []


def test_an_organiser_runs_a_draw_and_anyone_verifies_it_in_the_browser(browser, stack):
    # Given an approved photo today (so today's draw has an entrant)
    caption = unique("Microscope slides ready")
    approve(
        stack,
        upload_photo(stack["api_url"], caption=caption, email=f"{uuid.uuid4().hex[:8]}@s.example"),
    )
    with page_of(browser) as page:
        # When the organiser runs today's draw from the console
        sign_in_to_console(page, stack)
        page.get_by_role("tab", name="Draws").click()
        page.get_by_label("Draw even if some photos").check()
        page.get_by_role("button", name="Run the draw").click()
        page.wait_for_function("document.querySelector('#draw-status').textContent !== ''")
        assert "Verify it" in page.locator("#draw-status").inner_text()
        screenshot(page, "admin-draws")
        # Then anyone can open "verify this draw" and the browser recomputes the same result
        page.locator("#draw-status a", has_text="Verify it").click()
        page.wait_for_load_state()  # verify.js must run first, or the click submits natively
        page.get_by_role("button", name="Verify this draw").click()
        status = page.locator("#verify-status")
        page.wait_for_function("document.querySelector('#verify-status').dataset.result")
        assert status.get_attribute("data-result") == "match", status.inner_text()
        assert page.locator("#verify-steps .mismatch").count() == 0
        assert page.locator("#verify-steps tbody tr").count() >= 1
        screenshot(page, "verify")
        # And the prize draw page shows the winner with a link to verify
        page.goto(f"{stack['api_url']}/draws.html")
        page.locator("#draws a", has_text="Verify the draw").first.wait_for()
        screenshot(page, "draws")
        assert page.errors == []
