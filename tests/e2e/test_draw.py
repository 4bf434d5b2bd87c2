"""The prize draw over HTTP on the local stack: organiser draws, the schedule, verification."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def verify(api: str, day: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "functions.prizedraw.verify",
            "verify-draw",
            "--api",
            api,
            "--day",
            day,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_organiser_draws_an_empty_day_once_and_anyone_can_verify_it(
    stack: dict[str, Any], api: str, organiser_token: str, member_token: str
):
    day = stack["event_end"]  # in the future: no entries, and the schedule won't touch it
    auth = {"Authorization": f"Bearer {organiser_token}"}
    # A member is not an organiser, and nobody unsigned may draw
    assert requests.post(f"{api}/admin/draws", json={"day": day}, timeout=10).status_code == 401
    assert (
        requests.post(
            f"{api}/admin/draws",
            json={"day": day},
            timeout=10,
            headers={"Authorization": f"Bearer {member_token}"},
        ).status_code
        == 403
    )
    # Before: open, committed, no seed
    before = requests.get(f"{api}/draws/{day}", timeout=10).json()
    assert before["status"] == "open" and before["seed"] is None
    # When the organiser draws it
    made = requests.post(f"{api}/admin/draws", json={"day": day}, headers=auth, timeout=30)
    # Then 201 with no winners; a second click is a 409 problem
    assert made.status_code == 201, made.text
    assert made.json()["winners"] == [] and made.json()["commitment"] == before["commitment"]
    again = requests.post(f"{api}/admin/draws", json={"day": day}, headers=auth, timeout=30)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    # And the public list shows it drawn
    listing = requests.get(f"{api}/draws", timeout=10).json()["items"]
    assert next(i for i in listing if i["day"] == day)["status"] == "drawn"
    assert len(listing) == 7
    # And the verify command recomputes it from the public API alone
    result = verify(api, day)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MATCH" in result.stdout


def test_the_hourly_schedule_draws_ended_days_once(stack: dict[str, Any], api: str):
    start = stack["event_start"]  # three days ago: ended, nothing awaiting moderation
    fire = f"{api}/_local/schedules/draw-hourly"
    first = requests.post(fire, timeout=60)
    assert first.status_code == 200, first.text
    assert start in first.json()["drawn"] + first.json()["already"]
    # A duplicate delivery draws nothing
    second = requests.post(fire, timeout=60).json()
    assert second["drawn"] == [] and start in second["already"]
    record = requests.get(f"{api}/draws/{start}", timeout=10).json()
    assert record["status"] == "drawn" and record["trigger"] == "schedule"
    assert record["seed"] is not None
    assert verify(api, start).returncode == 0
    # No address appears in the public record
    assert "@" not in requests.get(f"{api}/draws", timeout=10).text
