"""Sign-up through the local stack: the email from the embedded SES, confirm, export, leave."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
import requests

from tests.e2e.conftest import sent_emails, wait_for

pytestmark = pytest.mark.e2e


def export(api: str, token: str) -> list[dict[str, str]]:
    response = requests.get(
        f"{api}/admin/signups/export", timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_sign_up_confirm_export_and_unsubscribe(api, stack, organiser_token):
    email = f"sam-{uuid.uuid4().hex[:8]}@supporter.test"
    # When Sam signs up
    response = requests.post(
        f"{api}/signups", timeout=10, json={"email": email, "name": "Sam", "consent": True}
    )
    assert (response.status_code, response.json()) == (202, {"status": "confirmation_sent"})
    # Then the embedded SES holds one email to Sam with both links
    mail = wait_for(lambda: [m for m in sent_emails(stack) if email in json.dumps(m)])
    assert len(mail) == 1
    text = json.dumps(mail[0]).replace("\\/", "/")
    confirm_found = re.search(r"(http[^\s\"<>]*/signup/confirm\?token=[\w-]+)", text)
    unsubscribe_found = re.search(r"(http[^\s\"<>]*/signup/unsubscribe\?token=[\w-]+)", text)
    assert confirm_found and unsubscribe_found, text
    confirm_url, unsubscribe_url = confirm_found.group(1), unsubscribe_found.group(1)
    confirm = confirm_url.rsplit("token=", 1)[1]
    # A link scanner following the link (the site's page) or GETting the API does not confirm
    assert confirm_url.startswith(stack["api_url"])  # SITE_URL is the local site's address
    requests.get(confirm_url, timeout=10)
    assert requests.get(f"{api}/signups/confirm?token={confirm}", timeout=10).status_code == 404
    assert email not in {r["email"] for r in export(api, organiser_token)}
    # When Sam confirms by POST
    confirmed = requests.post(f"{api}/signups/confirm", json={"token": confirm}, timeout=10)
    assert (confirmed.status_code, confirmed.json()) == (200, {"status": "confirmed"})
    # Then Sam is in the export, once
    assert [r["email"] for r in export(api, organiser_token)].count(email) == 1
    # And a second use of the token is a 400
    reused = requests.post(f"{api}/signups/confirm", json={"token": confirm}, timeout=10)
    assert reused.status_code == 400
    # When Sam unsubscribes
    left = requests.post(
        f"{api}/signups/unsubscribe",
        timeout=10,
        json={"token": unsubscribe_url.rsplit("token=", 1)[1]},
    )
    assert (left.status_code, left.json()) == (200, {"status": "unsubscribed"})
    # Then Sam is off the export
    assert email not in {r["email"] for r in export(api, organiser_token)}
