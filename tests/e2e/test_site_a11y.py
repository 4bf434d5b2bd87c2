"""axe-core on every page of the site, the organiser console's signed-in views included: any
serious or critical violation fails the test.

axe is injected with Playwright's `add_script_tag` from `node_modules/axe-core` (package.json
pins it; `npm ci` installs it). The site's CSP allows only its own scripts, so the axe pass runs
in a context with `bypass_csp=True`; every other browser test keeps the CSP. The pages run on a
stack of their own, as this module runs today's draw (the shared stack's tests draw days too).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import ROOT, sign_in, stack_fixture
from tests.e2e.site_helpers import (
    DESKTOP,
    PHONE,
    approve,
    approve_message,
    chromium,
    upload_photo,
)

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")
SITE = ROOT / "site" / "pages"  # each page's source (infra/site_build.py renders them)

# path ({photo} and {day} are filled in), a selector that shows the page has loaded its data;
# pages not named here are checked too (all_pages), once loaded
PAGES = [
    ("/", "#gallery[data-loaded]"),
    ("/about.html", "main h1"),
    ("/press.html", "main h1"),
    ("/sponsors.html", "#sponsors[data-loaded]"),
    ("/resources.html", "main h1"),
    ("/upload.html", "#upload-form"),
    ("/photos.html", "#gallery[data-loaded]"),
    ("/photo.html?id={photo}", "#photo:not([hidden])"),
    ("/pledge.html", "#wall li"),
    ("/pledge/confirm?token=example", "main h1"),
    ("/signup.html", "#signup-form"),
    ("/signup/confirm?token=example", "#token-form"),
    ("/signup/unsubscribe?token=example", "#token-form"),
    ("/messages.html", "#wall li"),
    ("/messages-print.html", "#print-list[data-loaded]"),
    ("/packs.html", "#pack-form[data-ready]"),
    ("/draws.html", "#draws a"),
    ("/verify.html", "#verify-form"),
    ("/admin.html", "#signin-form"),
]


def page_file(path: str) -> str:
    """The source under site/pages/ of the page a path serves: `/` → index.html, `/x?q` → x.html."""
    name = path.split("?", maxsplit=1)[0].strip("/") or "index"
    return name if name.endswith(".html") else f"{name}.html"


def all_pages() -> list[tuple[str, str]]:
    """PAGES, then every other page under site/pages/ (a new one is checked from its first commit,
    once its `main` is there)."""
    listed = {page_file(path) for path, _ in PAGES}
    rest = sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html"))
    return PAGES + [(f"/{name}", "main") for name in rest if name not in listed]


def test_every_page_of_the_site_is_in_the_axe_pass() -> None:
    pages = {str(p.relative_to(SITE)) for p in SITE.rglob("*.html")}
    checked = {page_file(path) for path, _ in all_pages()}
    assert pages == checked
    assert {page_file(path) for path, _ in PAGES} <= pages, "PAGES names a file that is gone"


axe_stack = stack_fixture("a11y-stack")


@pytest.fixture(scope="module")
def browser(axe_stack: dict[str, Any]) -> Iterator[Any]:
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (make test does)"
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def seeded(axe_stack: dict[str, Any]) -> dict[str, str]:
    """Content on every page, so axe sees cards, walls, tables and the console's queues filled:
    an approved photo, one waiting, a published message and one waiting, and today's draw with
    its winner. (The pledge wall's items look like the message wall's.)"""
    api = axe_stack["api_url"]
    auth = {"Authorization": f"Bearer {sign_in(axe_stack, 'organiser')}"}
    photo = upload_photo(
        api, caption="Titration kit ready for Year 11", email=f"{uuid.uuid4().hex[:8]}@s.example"
    )
    approve(axe_stack, photo)
    upload_photo(
        api, caption="Waiting: a tray of test tubes", email=f"{uuid.uuid4().hex[:8]}@s.example"
    )
    for text in ("Fund technicians' training.", "Count technician hours properly."):
        requests.post(
            f"{api}/messages", json={"message": text, "name": "Chris", "role": "teacher"}, timeout=5
        ).raise_for_status()
    pending = requests.get(
        f"{api}/admin/messages", params={"status": "pending"}, headers=auth, timeout=5
    ).json()["items"]
    approve_message(api, auth, pending[0]["message_id"])
    day = datetime.now(ZoneInfo("Europe/London")).date().isoformat()  # the stack's EVENT_TZ
    drawn = requests.post(
        f"{api}/admin/draws", json={"day": day, "force": True}, headers=auth, timeout=30
    )
    assert drawn.status_code == 201, drawn.text
    return {"photo": photo, "day": day}


def severe_violations(page: Any) -> list[str]:
    """axe's serious and critical violations on what the page shows now, one line each."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
        if v["impact"] in SEVERE
    ]


@contextlib.contextmanager
def axe_page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    """A page whose context ignores the CSP (only so that axe can be injected and run); the
    context is closed after."""
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(("path", "ready"), all_pages(), ids=[page_file(p) for p, _ in all_pages()])
def test_a_page_has_no_serious_or_critical_axe_violation(
    browser, axe_stack, seeded, path, ready, viewport
):
    with axe_page(browser, viewport) as page:
        page.goto(axe_stack["api_url"] + path.format(**seeded))
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_load_state("networkidle")
        assert severe_violations(page) == []


def test_a_verified_draw_has_no_serious_or_critical_axe_violation(browser, axe_stack, seeded):
    with axe_page(browser, PHONE) as page:
        page.goto(f"{axe_stack['api_url']}/verify.html?day={seeded['day']}")
        page.wait_for_load_state("networkidle")
        page.get_by_role("button", name="Verify this draw").click()
        page.locator("#verify-status[data-result]").wait_for(state="attached")
        assert page.locator("#verify-status").get_attribute("data-result") == "match"
        assert severe_violations(page) == []


def test_the_signed_in_console_has_no_serious_or_critical_axe_violation(browser, axe_stack, seeded):
    from local.totp import fresh_code

    with axe_page(browser, DESKTOP) as page:
        page.goto(f"{axe_stack['api_url']}/admin.html")
        page.get_by_label("Username").fill(axe_stack["organiser"]["username"])
        page.get_by_label("Password").fill(axe_stack["organiser"]["password"])
        page.get_by_role("button", name="Sign in").click()
        code = page.get_by_label("6-digit code from your authenticator app")
        code.wait_for()
        assert severe_violations(page) == [], "the sign-in code step"
        code.fill(fresh_code(axe_stack["organiser"]["totp_secret"], needed_s=6))
        page.get_by_role("button", name="Check the code").click()
        page.locator("#queue li").first.wait_for()
        # Every section of the console, found from its tabs (a new one is checked too)
        tabs = page.get_by_role("tab")
        names = [tabs.nth(i).inner_text() for i in range(tabs.count())]
        assert len(names) >= 5, names
        for name in names:
            page.get_by_role("tab", name=name, exact=True).click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)  # the panel's data rendered
            assert severe_violations(page) == [], f"the {name} tab"
        # The reason picker (a modal dialog) and a photo's history
        page.get_by_role("tab", name=names[0], exact=True).click()
        page.wait_for_load_state("networkidle")
        open_reason_dialog(page)
        assert severe_violations(page) == [], "the reason dialog"
        page.keyboard.press("Escape")
        page.locator("#reason-dialog").wait_for(state="hidden")
        page.locator("#queue > li").first.get_by_role("button", name="History").click()
        page.locator("#audit").wait_for(state="visible")
        assert severe_violations(page) == [], "a photo's history"


def test_the_axe_pass_reports_a_page_that_breaks_the_rules(browser, axe_stack):
    # Given a real page with an image without alt text and a button without a name added
    with axe_page(browser, PHONE) as page:
        page.goto(f"{axe_stack['api_url']}/about.html")
        page.wait_for_load_state("networkidle")
        page.evaluate("""() => {
          const img = document.createElement("img");
          img.src = "/favicon.svg";
          document.querySelector("main").append(img, document.createElement("button"));
        }""")
        # When axe runs, then both count as critical
        found = severe_violations(page)
        assert any(line.startswith("critical image-alt") for line in found), found
        assert any(line.startswith("critical button-name") for line in found), found


def test_the_site_csp_still_refuses_an_injected_script_outside_the_axe_context(browser, axe_stack):
    # The bypass is the test's alone: a normal context gets the site's CSP, which refuses axe
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{axe_stack['api_url']}/about.html")
        # Playwright may or may not report the refusal: what counts is that it never ran
        with contextlib.suppress(Exception):
            page.add_script_tag(content="window.injected = 1;")
        assert page.evaluate("typeof window.injected") == "undefined"
    finally:
        context.close()


def open_reason_dialog(page: Any) -> None:
    """Press Reject on the first waiting photo until its dialog shows. Showing the queue's tab
    again reloads the queue, and a click that lands while the list is being replaced presses a
    row that is gone (a person would simply press again)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    dialog = page.locator("#reason-dialog")
    for _ in range(3):
        page.locator("#queue > li").first.get_by_role("button", name="Reject").click()
        try:
            dialog.wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("the reason dialog did not open after three presses of Reject")
