"""Moderation over HTTP on the local stack: upload → pre-screen → queue → decide → gallery."""

from __future__ import annotations

import io
from typing import Any

import requests

from tests.e2e.conftest import sent_emails, wait_for
from tests.e2e.site_helpers import upload_photo


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def upload(
    api: str,
    caption: str,
    email: str,
    colour: tuple[int, int, int] = (30, 120, 200),
) -> str:
    """The technician's path of API.md: reserve, multipart POST to S3, wait for processing."""
    return upload_photo(
        api,
        caption=caption,
        email=email,
        name="Tess Tech",
        school="Hill School",
        image=_jpeg(colour),
    )


def admin(
    api: str,
    token: str,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, str] | None = None,
) -> requests.Response:
    return requests.request(
        method,
        f"{api}{path}",
        json=body,
        params=params,
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )


def pending(api: str, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"status": "pending_moderation", "limit": "50"}
        if cursor:
            params["cursor"] = cursor
        page = admin(api, token, "GET", "/admin/photos", params=params)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def gallery_ids(api: str) -> list[str]:
    page = requests.get(f"{api}/photos", params={"limit": "50"}, timeout=5).json()
    return [p["photo_id"] for p in page["items"]]


def emails_to(stack: dict[str, Any], address: str) -> list[dict[str, Any]]:
    return [m for m in sent_emails(stack) if address in str(m.get("Destination", m))]


def test_organiser_reviews_the_queue_approves_and_rejects(stack, api, organiser_token):
    # Given two uploads, one whose caption makes the local pre-screen flag it
    plain = upload(api, "Our prep room after the big clean", "e2e-plain@school.test")
    flagged = upload(
        api, "Year 9 pupils at the fume cupboard", "e2e-flagged@school.test", colour=(200, 40, 40)
    )
    # When the organiser lists the queue
    queue = pending(api, organiser_token)
    ids = [i["photo_id"] for i in queue]
    # Then both are there, the flagged one first, with the private fields and working images
    assert {plain, flagged} <= set(ids)
    assert ids.index(flagged) < ids.index(plain)
    item = next(i for i in queue if i["photo_id"] == flagged)
    assert item["email"] == "e2e-flagged@school.test"
    assert "may show pupils: check consent" in item["prescreen"]["flags"]
    assert requests.get(item["thumbnail_url"], timeout=5).status_code == 200
    assert flagged not in gallery_ids(api)

    # When rejecting without a reason / Then 422, and nothing changes
    refused = admin(
        api, organiser_token, "POST", f"/admin/photos/{flagged}/decision", {"decision": "reject"}
    )
    assert refused.status_code == 422
    # When rejecting with a reason and approving the other
    rejected = admin(
        api,
        organiser_token,
        "POST",
        f"/admin/photos/{flagged}/decision",
        {"decision": "reject", "reason": "pupil_without_consent"},
    )
    approved = admin(
        api, organiser_token, "POST", f"/admin/photos/{plain}/decision", {"decision": "approve"}
    )
    # Then the approved photo is in the gallery with a working image (once the outbox copied
    # it: never listed before), the rejected one never
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    wait_for(lambda: plain in gallery_ids(api), timeout_s=30)
    assert flagged not in gallery_ids(api)
    public = requests.get(f"{api}/photos/{plain}", timeout=5).json()
    assert requests.get(public["image_url"], timeout=5).status_code == 200
    assert requests.get(f"{api}/photos/{flagged}", timeout=5).status_code == 404
    # and the technician can see why, in kind words
    status = requests.get(f"{api}/uploads/{flagged}", timeout=5).json()
    assert status["status"] == "rejected"
    assert "school agreed" in status["reason"]
    # and the audit names the organiser
    trail = admin(api, organiser_token, "GET", f"/admin/photos/{flagged}/audit").json()["items"]
    actions = [(i["actor"], i["action"]) for i in trail]
    assert (stack["organiser"]["username"], "rejected") in actions
    assert actions[-1][1] == "rejected"
    # and both uploaders got their note, once
    assert len(wait_for(lambda: emails_to(stack, "e2e-plain@school.test"), timeout_s=30)) == 1
    assert len(wait_for(lambda: emails_to(stack, "e2e-flagged@school.test"), timeout_s=30)) == 1


def test_a_taken_down_photo_disappears_and_its_image_url_stops_working(stack, api, organiser_token):
    # Given an approved photo whose public image works
    photo_id = upload(api, "Autoclave day", "e2e-takedown@school.test", colour=(10, 200, 10))
    assert (
        admin(
            api,
            organiser_token,
            "POST",
            f"/admin/photos/{photo_id}/decision",
            {"decision": "approve"},
        ).status_code
        == 200
    )
    public = wait_for(lambda: requests.get(f"{api}/photos/{photo_id}", timeout=5), timeout_s=30)
    image_url = public.json()["image_url"]
    assert requests.get(image_url, timeout=5).status_code == 200
    # When an organiser takes it down
    taken_down = admin(
        api,
        organiser_token,
        "POST",
        f"/admin/photos/{photo_id}/decision",
        {"decision": "reject", "reason": "Shows a pupil's name badge"},
    )
    # Then it is gone from the gallery and its image URL no longer works
    assert taken_down.status_code == 200
    assert photo_id not in gallery_ids(api)
    assert requests.get(f"{api}/photos/{photo_id}", timeout=5).status_code == 404
    wait_for(lambda: requests.get(image_url, timeout=5).status_code in (403, 404), timeout_s=30)
    # and both decisions are kept, and pressing reject again records nothing more
    again = admin(
        api,
        organiser_token,
        "POST",
        f"/admin/photos/{photo_id}/decision",
        {"decision": "reject", "reason": "Shows a pupil's name badge"},
    )
    assert (again.status_code, again.json()["status"]) == (200, "rejected")
    trail = admin(api, organiser_token, "GET", f"/admin/photos/{photo_id}/audit").json()["items"]
    assert [i["action"] for i in trail if i["action"] in ("approved", "rejected")] == [
        "approved",
        "rejected",
    ]


def test_a_member_cannot_decide_and_an_anonymous_caller_cannot_list(api, member_token):
    assert (
        admin(
            api, member_token, "POST", "/admin/photos/nope/decision", {"decision": "approve"}
        ).status_code
        == 403
    )
    assert requests.get(f"{api}/admin/photos", timeout=5).status_code == 401
