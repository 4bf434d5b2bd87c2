"""Pledges through the local stack over HTTP: pledge, the emailed link from the embedded SES,
confirm, the count and the wall; concurrent repeats; the same answer for everyone."""

from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e.conftest import sent_emails, wait_for

pytestmark = pytest.mark.e2e


def summary(api: str) -> dict[str, Any]:
    response = requests.get(f"{api}/pledges/summary", timeout=10)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def confirm_links(stack: dict[str, Any], email: str) -> list[str]:
    """The pledge confirmation links the embedded SES has sent to `email`, oldest first."""
    text = json.dumps([m for m in sent_emails(stack) if email in json.dumps(m)])
    return re.findall(r"(http[^\s\"<>\\]*/pledge/confirm\?token=[\w-]+)", text.replace("\\/", "/"))


def pledge(api: str, **body: Any) -> requests.Response:
    return requests.post(f"{api}/pledges", timeout=10, json=body)


def test_a_pledge_counts_and_reaches_the_wall_only_once_confirmed(api, stack):
    # Given the current count
    before = summary(api)
    name = f"Ada {uuid.uuid4().hex[:6]}"
    email = f"ada-{uuid.uuid4().hex[:8]}@school.test"
    # When someone pledges and asks to be on the wall
    response = pledge(
        api,
        name=name,
        email=email,
        role="school_leader",
        organisation="Hill School",
        show_on_wall=True,
    )
    # Then the answer is 202, one email links to the site's confirm page, and nothing counts yet
    assert (response.status_code, response.json()) == (202, {"status": "confirmation_sent"})
    (link,) = wait_for(lambda: confirm_links(stack, email))
    assert link.startswith(stack["api_url"])  # SITE_URL is the local site's address
    assert summary(api) == before
    assert name not in requests.get(f"{api}/pledges", timeout=10).text
    # A link scanner following the link, or GETting the API, confirms nothing
    assert requests.get(link, timeout=10).status_code == 200
    token = link.rsplit("token=", 1)[1]
    assert requests.get(f"{api}/pledges/confirm?token={token}", timeout=10).status_code == 404
    assert summary(api) == before
    # When they confirm by POST, twice
    first = requests.post(f"{api}/pledges/confirm", json={"token": token}, timeout=10)
    again = requests.post(f"{api}/pledges/confirm", json={"token": token}, timeout=10)
    # Then both answers are the same, it counts once and is on the wall, without the email
    assert first.status_code == 200
    pledge_id = first.json()["pledge_id"]
    assert first.json() == again.json() == {"status": "confirmed", "pledge_id": pledge_id}
    after = summary(api)
    assert after["count"] == before["count"] + 1
    assert after["by_role"]["school_leader"] == before["by_role"]["school_leader"] + 1
    wall = requests.get(f"{api}/pledges", timeout=10).json()
    assert wall["items"][0] == {**wall["items"][0], "pledge_id": pledge_id, "name": name}
    assert email not in str(wall)


def test_the_answer_is_the_same_whether_or_not_the_email_has_pledged(api, stack):
    email = f"known-{uuid.uuid4().hex[:8]}@school.test"
    body = {
        "name": "Kim",
        "email": email,
        "role": "teacher",
        "organisation": "Hill School",
        "show_on_wall": False,
    }
    fresh = pledge(api, **body)
    repeat = pledge(api, **body)
    (link,) = wait_for(lambda: confirm_links(stack, email))
    requests.post(
        f"{api}/pledges/confirm", json={"token": link.rsplit("token=", 1)[1]}, timeout=10
    ).raise_for_status()
    known = pledge(api, **{**body, "email": email.upper()})
    answers = {(r.status_code, r.text, r.headers["content-type"]) for r in (fresh, repeat, known)}
    assert len(answers) == 1
    assert answers.pop()[:2] == (202, '{"status":"confirmation_sent"}')


def test_a_bad_token_is_a_400_problem(api):
    response = requests.post(f"{api}/pledges/confirm", json={"token": "x" * 43}, timeout=10)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_twenty_concurrent_http_pledges_and_confirmations_with_one_email_count_once(api, stack):
    before = summary(api)["count"]
    email = f"twin-{uuid.uuid4().hex[:8]}@school.test"
    body: dict[str, Any] = {
        "name": "Twin",
        "email": email,
        "role": "teacher",
        "organisation": "Hill School",
        "show_on_wall": False,
    }
    # When 20 requests with the same email arrive at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: pledge(api, **body), range(20)))
    # Then all get the same answer, and one email goes out
    assert {a.status_code for a in answers} == {202}
    (link,) = wait_for(lambda: confirm_links(stack, email))
    token = link.rsplit("token=", 1)[1]
    # When its link is confirmed 20 times at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        confirmed = list(
            pool.map(
                lambda _: requests.post(
                    f"{api}/pledges/confirm", json={"token": token}, timeout=30
                ),
                range(20),
            )
        )
    # Then every answer names the same pledge, and the count moved by one
    assert {c.status_code for c in confirmed} == {200}
    assert len({c.json()["pledge_id"] for c in confirmed}) == 1
    assert summary(api)["count"] == before + 1
