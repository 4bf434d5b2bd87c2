"""Helpers for the browser tests of the site: Debian's Chromium driven by Playwright for Python.

The browser is `/usr/bin/chromium` (`.ci/run` installs it); never `playwright install`. Without
it the tests fail rather than skip: a site nobody has clicked through is not tested.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from tests.e2e.conftest import sent_emails, sign_in, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# `make screenshots` (UPDATE_SCREENSHOTS=1) refreshes the committed ones shown in the README;
# an ordinary test run saves them beside the local stack's state, leaving the tree clean.
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else ".local/screenshots"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium; fails loudly when it is missing."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`, "
        "as .ci/run does); never `playwright install`"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def page_of(browser: Any, viewport: dict[str, int] = DESKTOP) -> Iterator[Any]:
    """A fresh page (own storage) that records script errors in `page.errors`."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.wait_for_function = lambda expression, **options: _wait_until(page, expression, **options)
    try:
        yield page
    finally:
        context.close()


def _wait_until(page: Any, expression: str, *, timeout: float = 15_000) -> Any:
    """`page.wait_for_function` for pages under the site's CSP: Playwright compiles that
    predicate with eval inside the page, which `default-src 'self'` (rightly) refuses, while
    `page.evaluate` runs it through the DevTools protocol."""
    deadline = time.monotonic() + timeout / 1000
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout / 1000:.0f} s: {expression}")
        page.wait_for_timeout(100)
    return value


def screenshot(page: Any, name: str, at: str | None = None) -> None:
    """<SCREENSHOTS>/<name>-<phone|desktop>.png of what the page shows now, at both widths
    (scrolled to the top, or to the element `at`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        if at:
            page.locator(at).evaluate("e => e.scrollIntoView({block: 'center'})")
        else:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"))


def photo_jpeg(width: int = 1200, height: int = 900, seed: int = 1) -> bytes:
    """A real JPEG that looks like a photo (gradients and shapes), made with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    pixels = image.load()
    assert pixels is not None
    for y in range(0, height, 4):
        for x in range(0, width, 4):
            colour = (
                (x * 255 // width + seed * 40) % 256,
                y * 255 // height,
                (x + y + seed * 90) % 256,
            )
            for dy in range(4):
                for dx in range(4):
                    if x + dx < width and y + dy < height:
                        pixels[x + dx, y + dy] = colour
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, width // 2, height // 2 + 100), fill=(240, 240, 250))
    draw.rectangle((width // 2, height // 3, width - 150, height - 120), fill=(20, 90, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def upload_photo(
    api: str,
    *,
    caption: str,
    email: str,
    name: str = "Sam Technician",
    school: str = "Hilltop Academy",
    image: bytes | None = None,
) -> str:
    """Uploads a photo (`image`, or one made from the caption) over the API (not the page) and
    waits until it awaits moderation."""
    data = image or photo_jpeg(seed=len(caption))
    reserved = requests.post(
        f"{api}/uploads",
        json={
            "caption": caption,
            "display_name": name,
            "school": school,
            "email": email,
            "content_type": "image/jpeg",
            "size_bytes": len(data),
            "consent": True,
        },
        timeout=10,
    )
    assert reserved.status_code == 201, reserved.text
    body = reserved.json()
    sent = requests.post(
        body["upload"]["url"],
        data=body["upload"]["fields"],
        files={"file": ("photo.jpg", data, "image/jpeg")},
        timeout=10,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    photo_id = str(body["photo_id"])

    def processed() -> bool:
        status = upload_status(api, photo_id)
        assert status != "failed"
        return status == "pending_moderation"

    wait_for(processed, timeout_s=30)
    return photo_id


def upload_status(api: str, photo_id: str) -> str:
    answer = requests.get(f"{api}/uploads/{photo_id}", timeout=5)
    return str(answer.json().get("status")) if answer.ok else f"HTTP {answer.status_code}"


def decide(stack: dict[str, Any], photo_id: str, decision: dict[str, str]) -> None:
    """An organiser's decision on the photo, taken."""
    token = sign_in(stack, "organiser")
    answer = requests.post(
        f"{stack['api_url']}/admin/photos/{photo_id}/decision",
        json=decision,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def take_down(stack: dict[str, Any], photo_id: str, reason_code: str) -> None:
    decide(stack, photo_id, {"decision": "reject", "reason_code": reason_code})


def approve(stack: dict[str, Any], photo_id: str) -> None:
    decide(stack, photo_id, {"decision": "approve"})
    # The outbox copies it to public/ and then lists it (the stack's stream poller runs it).
    wait_for(
        lambda: requests.get(f"{stack['api_url']}/photos/{photo_id}", timeout=5).status_code == 200,
        timeout_s=30,
    )


def approve_message(api: str, auth: dict[str, str], message_id: str) -> None:
    """An organiser's approval of a message (`auth`: their Authorization header)."""
    requests.post(
        f"{api}/admin/messages/{message_id}/decision",
        json={"decision": "approve"},
        headers=auth,
        timeout=10,
    ).raise_for_status()


def sign_in_to_console(page: Any, stack: dict[str, Any]) -> None:
    page.goto(f"{stack['api_url']}/admin.html")
    page.get_by_label("Username").fill(stack["organiser"]["username"])
    page.get_by_label("Password").fill(stack["organiser"]["password"])
    page.get_by_role("button", name="Sign in").click()
    # MFA is required: the code of the organiser's authenticator app (local/totp.py)
    from local.totp import fresh_code

    page.get_by_label("6-digit code from your authenticator app").fill(
        fresh_code(stack["organiser"]["totp_secret"], needed_s=6)
    )
    page.get_by_role("button", name="Check the code").click()
    page.locator("#console").wait_for(state="visible")


def email_link(stack: dict[str, Any], to: str, kind: str) -> str:
    """The `confirm` or `unsubscribe` page link of the latest email the embedded SES sent `to`."""
    pattern = re.compile(r"https?://[^\s\"'<>]+/signup/" + kind + r"\?token=[^\s\"'<>]+")

    def find() -> str | None:
        for message in reversed(sent_emails(stack)):
            if to in str(message.get("destinations") or message.get("destination") or ""):
                found = pattern.search(str(message.get("body", "")) + str(message))
                if found:
                    return found.group(0).replace("&amp;", "&")
        return None

    return str(wait_for(find, timeout_s=15))
