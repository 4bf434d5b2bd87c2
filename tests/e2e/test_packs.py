"""Free event packs and the message to government through the local stack, over HTTP: the
email from the embedded SES, the organisers' list, dispatch and CSVs, and erasure."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import sent_emails, wait_for

pytestmark = pytest.mark.e2e


def admin(api: str, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method, f"{api}{path}", timeout=10, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


def test_a_school_orders_a_pack_and_organisers_dispatch_it(api, stack, organiser_token):
    tag = uuid.uuid4().hex[:8]
    email = f"tech-{tag}@school.test"
    pack: dict[str, Any] = {
        "school": f"Hilltop Academy {tag}",
        "contact_name": "Sam Technician",
        "email": email,
        "address_line1": "1 School Lane",
        "town": "Leeds",
        "postcode": "ls1 4ap",
        "consent": True,
    }
    # Given requests are open (the local stack: open, 1,000 packs)
    before = requests.get(f"{api}/packs/availability", timeout=10).json()
    assert before["open"] is True and before["remaining"] > 0
    # When a school orders a pack
    response = requests.post(f"{api}/packs", json=pack, timeout=10)
    assert (response.status_code, response.json()) == (202, {"status": "requested"})
    # Then one stock is gone and the embedded SES holds one email to the requester
    assert (
        requests.get(f"{api}/packs/availability", timeout=10).json()["remaining"]
        == before["remaining"] - 1
    )
    mail = wait_for(lambda: [m for m in sent_emails(stack) if email in json.dumps(m)])
    assert len(mail) == 1 and "event pack" in json.dumps(mail[0])
    assert "Sam Technician" not in json.dumps(mail[0])
    # When the same school asks again, typed otherwise
    again = requests.post(
        f"{api}/packs",
        timeout=10,
        json={
            **pack,
            "school": f"  hilltop ACADEMY  {tag.upper()}",
            "postcode": "LS14AP",
            "email": f"other-{tag}@school.test",
        },
    )
    assert (again.status_code, again.json()) == (200, {"status": "already_requested"})
    # Then organisers see it once, with the address, and mark it dispatched
    listed = admin(api, organiser_token, "GET", "/admin/packs", params={"limit": 50})
    assert listed.status_code == 200
    mine = [p for p in listed.json()["items"] if p["school"] == pack["school"]]
    assert len(mine) == 1 and mine[0]["postcode"] == "LS1 4AP" and mine[0]["email"] == email
    assert mine[0]["dispatched_at"] is None
    pack_id = mine[0]["pack_id"]
    done = admin(api, organiser_token, "POST", f"/admin/packs/{pack_id}/dispatched")
    assert done.status_code == 200 and done.json()["dispatched_at"]
    # And the dispatch CSV has it
    exported = admin(api, organiser_token, "GET", "/admin/packs/export")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = [r for r in csv.DictReader(io.StringIO(exported.text)) if r["pack_id"] == pack_id]
    assert rows[0]["address_line1"] == "1 School Lane"
    assert rows[0]["dispatched_at"] == done.json()["dispatched_at"]
    # Nobody else sees any of it
    assert requests.get(f"{api}/admin/packs", timeout=10).status_code == 401
    # When the requester is erased, the pack goes with them
    erased = admin(api, organiser_token, "POST", "/admin/erasure", json={"email": email})
    assert erased.status_code == 200 and erased.json()["erased"]["packs"] == 1
    listed = admin(api, organiser_token, "GET", "/admin/packs", params={"limit": 50})
    assert pack_id not in {p["pack_id"] for p in listed.json()["items"]}


def test_a_bad_postcode_is_a_422_problem(api):
    response = requests.post(
        f"{api}/packs",
        timeout=10,
        json={
            "school": "X",
            "contact_name": "Y",
            "email": "y@school.test",
            "address_line1": "1",
            "town": "Z",
            "postcode": "90210",
            "consent": True,
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["loc"][-1] == "postcode" for e in response.json()["errors"])


def test_published_messages_export_as_csv(api, organiser_token):
    text = f"=1+1 technicians matter {uuid.uuid4().hex[:8]}"
    sent = requests.post(f"{api}/messages", json={"message": text, "name": "Jo"}, timeout=10)
    assert sent.status_code == 202
    message_id = sent.json()["message_id"]
    approved = admin(
        api,
        organiser_token,
        "POST",
        f"/admin/messages/{message_id}/decision",
        json={"decision": "approve"},
    )
    assert approved.status_code == 200
    exported = admin(api, organiser_token, "GET", "/admin/messages/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["name"] for r in rows if r["message"] == "'" + text] == ["Jo"]
