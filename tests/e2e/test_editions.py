"""Editions and live numbers on the local stack, over HTTP and in the browser: GET /editions,
GET /stats moving with an approval and a takedown, the gallery and draws of an earlier year, the
home page's numbers and the year switcher."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import aws_client, wait_for
from tests.e2e.site_helpers import (
    approve,
    chromium,
    page_of,
    photo_jpeg,
    take_down,
    upload_photo,
)

pytestmark = pytest.mark.e2e


def _stats(api: str, **query: str) -> dict[str, Any]:
    answer = requests.get(f"{api}/stats", params=query, timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _current(api: str) -> str:
    items = requests.get(f"{api}/editions", timeout=10).json()["items"]
    (current,) = [e["edition"] for e in items if e["current"]]
    return str(current)


def test_stats_follow_an_approval_and_a_takedown_over_http(api, stack) -> None:
    edition = _current(api)
    before = _stats(api)
    assert before["edition"] == edition
    # A photo from a school nobody has sent one from yet
    school = f"Ridge School {uuid.uuid4().hex[:6]}"
    photo_id = upload_photo(
        api,
        caption="Setting out the titration kit",
        email=f"ridge-{uuid.uuid4().hex[:6]}@school.test",
        school=school,
    )
    approve(stack, photo_id)
    after = _stats(api)
    assert (after["photos"], after["schools"]) == (before["photos"] + 1, before["schools"] + 1)
    listed = requests.get(f"{api}/photos", params={"edition": edition}, timeout=10).json()
    assert photo_id in [p["photo_id"] for p in listed["items"]]
    # Taken down: it stops counting
    take_down(stack, photo_id, "duplicate")
    assert (_stats(api)["photos"], _stats(api)["schools"]) == (before["photos"], before["schools"])
    # A malformed edition is a problem, never a 500
    bad = requests.get(f"{api}/stats", params={"edition": "last"}, timeout=10)
    assert bad.status_code in (400, 422)
    assert bad.headers["content-type"].startswith("application/problem+json")
    draws = requests.get(f"{api}/draws", params={"edition": edition}, timeout=10)
    assert draws.status_code == 200
    assert all(d["day"].startswith(edition) for d in draws.json()["items"])


def _seed_last_year(stack: dict[str, Any], year: str) -> dict[str, str]:
    """What last year's week left on this stack's table and bucket after its retention: its
    edition record, an approved photo's archive item and public copies, a drawn day. Written
    with the embedded AWS's own API, as last year's functions would have."""
    from boto3.dynamodb.types import TypeSerializer

    ddb, s3 = aws_client(stack, "dynamodb"), aws_client(stack, "s3")
    (table,) = ddb.list_tables()["TableNames"]
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "media" in b["Name"])
    photo_id = f"arch{uuid.uuid4().hex[:12]}"
    day = f"{year}-03-12"
    caption = f"Archive {year}: the new fume cupboard"
    winner = {
        "position": 1,
        "entrant_id": "someone",
        "display_name": "Vale Techs",
        "school": "Vale School",
        "photo_id": photo_id,
    }
    items: list[dict[str, Any]] = [
        {
            "pk": f"EDITION#{year}",
            "sk": "EDITION",
            "edition": year,
            "gsi1pk": "EDITIONS",
            "gsi1sk": year,
            "start": f"{year}-03-09",
            "end": f"{year}-03-15",
            "photos": 1,
            "schools": 1,
            "pledges": 0,
            "messages": 0,
        },
        {
            "pk": f"PHOTO#{photo_id}",
            "sk": "PUBLIC",
            "photo_id": photo_id,
            "caption": caption,
            "display_name": "Vale Techs",
            "school": "Vale School",
            "uploaded_at": f"{day}T10:00:00Z",
            "day": day,
            "width": 1200,
            "height": 900,
            "edition": year,
            "gsi1pk": f"GALLERY#{year}",
            "gsi1sk": f"{day}T10:00:00Z#{photo_id}",
            "gsi3pk": "PERSON#someone",
            "gsi3sk": f"PHOTO#{photo_id}#PUBLIC",
        },
        {
            "pk": f"DRAW#{day}",
            "sk": "DRAW",
            "day": day,
            "status": "drawn",
            "algorithm": "sha256-mod-v1",
            "commitment": "0" * 64,
            "gsi1pk": "DRAWS",
            "gsi1sk": day,
            "winners": [winner],
        },
    ]
    to_dynamodb = TypeSerializer().serialize
    for item in items:
        ddb.put_item(TableName=table, Item={k: to_dynamodb(v) for k, v in item.items()})
    for name in ("display.jpg", "thumb.jpg"):
        s3.put_object(
            Bucket=bucket,
            Key=f"public/{photo_id}/{name}",
            Body=photo_jpeg(),
            ContentType="image/jpeg",
        )
    return {"photo_id": photo_id, "caption": caption, "day": day}


def test_home_numbers_and_the_year_switchers_in_the_browser(api, stack) -> None:
    current = _current(api)
    last_year = str(int(current) - 1)
    archived = _seed_last_year(stack, last_year)
    photo_id = upload_photo(
        api, caption="Numbers on the home page", email=f"home-{uuid.uuid4().hex[:6]}@school.test"
    )
    approve(stack, photo_id)
    numbers = _stats(api)
    assert numbers["photos"] >= 1
    with chromium() as browser, page_of(browser) as page:
        # The home page quotes this year's numbers
        page.goto(f"{api}/")
        page.wait_for_selector("#live-numbers[data-loaded]")
        text = page.inner_text("#live-numbers")
        count = f"{numbers['photos']:,} photo"
        assert count in text and f"{numbers['schools']:,} school" in text, text
        assert re.search(r"\d pledges?", text)
        # Latest Photos: this year first, then last year's archive from the switcher
        page.goto(f"{api}/photos.html")
        page.wait_for_selector("#gallery[data-loaded]")
        page.wait_for_selector(f"#edition option[value='{last_year}']", state="attached")
        assert page.is_visible("#edition")
        assert archived["caption"] not in page.inner_text("#gallery")
        page.select_option("#edition", last_year)
        wait_for(lambda: archived["caption"] in page.inner_text("#gallery"))
        assert f"edition={last_year}" in page.url
        assert "Numbers on the home page" not in page.inner_text("#gallery")
        # The draw page shows last year's drawn day and its winner
        page.goto(f"{api}/draws.html")
        page.wait_for_selector(f"#edition option[value='{last_year}']", state="attached")
        page.select_option("#edition", last_year)
        wait_for(lambda: "Vale Techs" in page.inner_text("#draws"))
        assert str(int(last_year)) in page.inner_text("#draws")
        assert page.errors == []
