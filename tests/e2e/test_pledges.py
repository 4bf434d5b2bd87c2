"""Pledges through the local stack over HTTP: pledge, the count, the wall; concurrent repeats."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e


def summary(api: str) -> dict[str, Any]:
    response = requests.get(f"{api}/pledges/summary", timeout=10)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def test_a_pledge_is_counted_and_shown_on_the_wall(api):
    # Given the current count
    before = summary(api)
    name = f"Ada {uuid.uuid4().hex[:6]}"
    email = f"ada-{uuid.uuid4().hex[:8]}@school.test"
    # When someone pledges and asks to be on the wall
    response = requests.post(f"{api}/pledges", timeout=10, json={
        "name": name, "email": email, "role": "school_leader", "organisation": "Hill School",
        "show_on_wall": True})
    # Then it is created, counted and on the wall, newest first, without the email
    assert response.status_code == 201
    pledge_id = response.json()["pledge_id"]
    after = summary(api)
    assert after["count"] == before["count"] + 1
    assert after["by_role"]["school_leader"] == before["by_role"]["school_leader"] + 1
    wall = requests.get(f"{api}/pledges", timeout=10).json()
    assert wall["items"][0] == {**wall["items"][0], "pledge_id": pledge_id, "name": name}
    assert email not in str(wall)


def test_twenty_concurrent_http_pledges_with_one_email_count_once(api):
    before = summary(api)["count"]
    body: dict[str, Any] = {"name": "Twin", "email": f"twin-{uuid.uuid4().hex[:8]}@school.test",
            "role": "teacher", "organisation": "Hill School", "show_on_wall": False}
    # When 20 requests with the same email arrive at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(
            lambda _: requests.post(f"{api}/pledges", json=body, timeout=30), range(20)))
    # Then one is created, the others get its id, and the count moved by one
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    assert len({a.json()["pledge_id"] for a in answers}) == 1
    assert summary(api)["count"] == before + 1
