"""Daily prizes end to end on a local stack of their own (today's draw is theirs to make): an
organiser names today's prize over HTTP, a photo enters, the draw freezes the prize, the public
record and the winner's email (in the embedded SES) name it; and in the browser, the console
names another day's prize and the draw page shows both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e import site_helpers as site
from tests.e2e.conftest import running_stack, sent_emails, sign_in, wait_for

pytestmark = pytest.mark.e2e

PRIZE = {
    "title": "A USB microscope",
    "sponsor": "Gratnells",
    "description": "A digital microscope for the prep room, with its stand.",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_stack(Path(tmp_path_factory.mktemp("prize-stack"))) as info:
        yield info


@pytest.fixture(scope="module")
def today() -> str:
    """The event day of an upload made now (the local event surrounds today)."""
    return datetime.now(ZoneInfo("Europe/London")).date().isoformat()


def put_prize(stack: dict[str, Any], day: str, body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.put(
        f"{stack['api_url']}/admin/draws/{day}/prize", json=body, headers=headers, timeout=10
    )


def emails_to(stack: dict[str, Any], address: str) -> list[dict[str, Any]]:
    return [
        m
        for m in sent_emails(stack)
        if address in str(m.get("destinations") or m.get("destination") or "")
    ]


def test_a_named_prize_is_frozen_by_the_draw_and_named_to_the_winner(stack, today):
    api = stack["api_url"]
    organiser = sign_in(stack, "organiser")
    # Only organisers may name a prize
    assert put_prize(stack, today, PRIZE, None).status_code == 401
    assert put_prize(stack, today, PRIZE, sign_in(stack, "member")).status_code == 403
    # When an organiser names today's prize, a technician's photo is approved, and the day drawn
    named = put_prize(stack, today, PRIZE, organiser)
    assert named.status_code == 200, named.text
    assert named.json() == PRIZE
    email = f"{uuid.uuid4().hex[:8]}@school.example"
    photo_id = site.upload_photo(api, caption="Titration kit, ready for Year 11", email=email)
    site.approve(stack, photo_id)
    made = requests.post(
        f"{api}/admin/draws",
        json={"day": today, "force": True},
        headers={"Authorization": f"Bearer {organiser}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    # Then the record and the public list name the prize, and the only entrant won it
    assert made.json()["prize"] == PRIZE
    assert requests.get(f"{api}/draws/{today}", timeout=10).json()["prize"] == PRIZE
    listing = requests.get(f"{api}/draws", timeout=10).json()["items"]
    assert next(i for i in listing if i["day"] == today)["prize"] == PRIZE
    assert len(made.json()["winners"]) == 1
    (won,) = wait_for(
        lambda: (
            emails_to(stack, email)
            and [m for m in emails_to(stack, email) if "You won" in str(m.get("subject"))]
        )
    )
    assert "Your prize: A USB microscope, given by Gratnells" in str(won["body"])
    # And the prize is final: a rename is a 409 problem that changes nothing
    late = put_prize(stack, today, {"title": "Something else"}, organiser)
    assert late.status_code == 409
    assert late.headers["content-type"].startswith("application/problem+json")
    assert requests.get(f"{api}/draws/{today}", timeout=10).json()["prize"] == PRIZE


def test_the_console_names_a_prize_and_the_draw_page_shows_it(stack, today):
    tomorrow = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    with site.chromium() as browser, site.page_of(browser) as page:
        # When an organiser names tomorrow's prize in the console's Draws tab
        site.sign_in_to_console(page, stack)
        page.get_by_role("tab", name="Draws").click()
        form = page.locator(f'#prizes form[data-day="{tomorrow}"]')
        form.get_by_label("Prize").fill("Safety goggles for the prep room")
        form.get_by_label("Sponsor (optional)").fill("UNISON")
        form.get_by_role("button", name="Name the prize").click()
        form.locator(".status.ok").wait_for()
        assert "Saved: Safety goggles for the prep room, given by UNISON" in form.inner_text()
        site.screenshot(page, "admin-prizes", at="#prizes-section")
        # And a drawn day (today, if the other test drew it) offers no form
        drawn = requests.get(f"{stack['api_url']}/draws/{today}", timeout=10).json()
        if drawn["status"] == "drawn":
            assert page.locator(f'#prizes form[data-day="{today}"]').count() == 0
        assert page.errors == []
        # Then the draw page shows each day's prize under the day
        page.goto(f"{stack['api_url']}/draws.html")
        page.locator("#draws .prize").first.wait_for()
        days = page.locator("#draws > ul > li")
        listing = requests.get(f"{stack['api_url']}/draws", timeout=10).json()["items"]
        assert days.count() == len(listing)
        for n, item in enumerate(listing):
            shown = days.nth(n).locator(".prize").all_inner_texts()
            prize = item["prize"]
            if prize is None:
                assert shown == [], item["day"]
                continue
            (text,) = shown
            assert text.startswith(f"Prize: {prize['title']}"), (item["day"], text)
            assert (f"given by {prize['sponsor']}" in text) == bool(prize["sponsor"])
        assert sum(1 for i in listing if i["prize"]) >= 1
        site.screenshot(page, "draws-prizes", at="#draws")
        assert page.errors == []
    assert requests.get(f"{stack['api_url']}/draws/{tomorrow}", timeout=10).json()["prize"] == {
        "title": "Safety goggles for the prep room",
        "sponsor": "UNISON",
        "description": None,
    }
