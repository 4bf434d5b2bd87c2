"""The local S3 refuses tampered browser uploads as S3 does, over real HTTP, and stores nothing.

Each form is a real one from `POST /uploads` on the local stack (`python -m local`), posted to
the embedded S3 the way a browser posts it.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests

from shared.cdn import API_PREFIX
from tests.e2e.conftest import aws_client, wait_for
from tests.unit import test_imaging_corpus as corpus

pytestmark = pytest.mark.e2e

PHOTO = corpus.jpeg(corpus.photo_like((640, 480)))


def _reserve(api: str, size: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "caption": "Ripple tank set up for Year 10 waves",
        "display_name": "Prep Room",
        "school": "Crieff High School",
        "content_type": "image/jpeg",
        "size_bytes": size,
        "email": f"prep-{secrets.token_hex(4)}@crieff.sch.uk",
        "consent": True,
    }
    response = requests.post(f"{api}/uploads", json=body, timeout=10)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _post(
    form: dict[str, Any], fields: dict[str, str], data: bytes, file_type: str = "image/jpeg"
) -> requests.Response:
    return requests.post(
        form["url"],
        data=fields,
        files={"file": ("photo.jpg", data, file_type)},
        headers={"Origin": "http://127.0.0.1"},
        timeout=10,
    )


def _stored(stack: dict[str, Any], url: str, key: str) -> bool:
    s3 = aws_client(stack, "s3")
    bucket = url.rstrip("/").rsplit("/", 1)[1]  # path-style URL: endpoint/bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    return key in [o["Key"] for o in listed]


def _status(api: str, photo_id: str) -> str:
    return str(requests.get(f"{api}/uploads/{photo_id}", timeout=10).json()["status"])


def _error(response: requests.Response) -> dict[str, str]:
    assert response.headers["Content-Type"].startswith("application/xml")
    document = ET.fromstring(response.content)  # noqa: S314 - from our own local stack
    return {child.tag: child.text or "" for child in document}


def test_an_honest_browser_upload_is_stored(stack, api) -> None:
    # Given a form for this photo
    created = _reserve(api, len(PHOTO))
    form = created["upload"]
    # When it is posted unchanged
    sent = _post(form, form["fields"], PHOTO)
    # Then S3 stores it, and the upload is processed (which deletes the original)
    assert sent.status_code == 204, sent.text
    wait_for(lambda: _status(api, created["photo_id"]) == "pending_moderation")


def _other_key(fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "key": "public/" + fields["key"].rsplit("/", 1)[1] + ".jpg"}


def _changed_signature(fields: dict[str, str]) -> dict[str, str]:
    signature = fields["x-amz-signature"]
    return {**fields, "x-amz-signature": ("0" if signature[0] != "0" else "1") + signature[1:]}


@pytest.mark.parametrize(
    ("tamper", "extra_bytes", "file_type", "status", "code", "message"),
    [
        (
            _other_key,
            0,
            "image/jpeg",
            403,
            "AccessDenied",
            "Invalid according to Policy: Policy Condition failed: ",
        ),
        (
            lambda f: {**f, "Content-Type": "text/html"},
            0,
            "text/html",
            403,
            "AccessDenied",
            'Invalid according to Policy: Policy Condition failed: {"Content-Type": "image/jpeg"}',
        ),
        (
            _changed_signature,
            0,
            "image/jpeg",
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        ),
        (
            lambda f: f,
            1,
            "image/jpeg",
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
        ),
        (
            lambda f: {**f, "x-amz-meta-owner": "me"},
            0,
            "image/jpeg",
            403,
            "AccessDenied",
            "Invalid according to Policy: Extra input fields: x-amz-meta-owner",
        ),
        (
            lambda f: {k: v for k, v in f.items() if k != "x-amz-date"},
            0,
            "image/jpeg",
            400,
            "InvalidArgument",
            "Bucket POST must contain a field named 'X-Amz-Date'.",
        ),
    ],
    ids=[
        "changed-key",
        "changed-content-type",
        "bad-signature",
        "too-large",
        "extra-field",
        "missing-field",
    ],
)
def test_a_tampered_upload_is_refused_with_s3s_code_and_nothing_is_stored(
    stack, api, tamper, extra_bytes, file_type, status, code, message
) -> None:
    # Given a form for a photo of this size
    created = _reserve(api, len(PHOTO))
    form = created["upload"]
    fields = tamper(form["fields"])
    # When it is posted changed
    sent = _post(form, fields, PHOTO + b"\0" * extra_bytes, file_type)
    # Then S3's status and error document come back, readable by the page that posted it
    assert sent.status_code == status, sent.text
    error = _error(sent)
    assert error["Code"] == code and error["Message"].startswith(message), error
    assert sent.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1"
    if code == "EntityTooLarge":
        assert (error["ProposedSize"], error["MaxSizeAllowed"]) == (
            str(len(PHOTO) + 1),
            str(len(PHOTO)),
        )
    # And nothing is stored, under the form's key or the one it was changed to
    for key in {form["fields"]["key"], fields.get("key", "")} - {""}:
        assert not _stored(stack, form["url"], key)
    assert _status(api, created["photo_id"]) == "awaiting_upload"


def test_the_upload_page_reports_a_refused_upload_and_nothing_is_stored(
    stack, api, tmp_path
) -> None:
    """Chromium's own multipart encoding, with the form's key changed on its way to the page."""
    from tests.e2e.site_helpers import chromium, page_of

    photo = tmp_path / "prep-room.jpg"
    photo.write_bytes(PHOTO)
    reserved: list[dict[str, Any]] = []

    def change_key(route: Any) -> None:
        created = route.fetch().json()
        reserved.append(created)
        changed = {
            **created,
            "upload": {**created["upload"], "fields": _other_key(created["upload"]["fields"])},
        }
        route.fulfill(status=201, json=changed)

    refusals: list[int] = []
    with chromium() as browser, page_of(browser) as page:
        # Given the upload page, whose reservation is tampered with on the way
        page.route(f"{api}{API_PREFIX}/uploads", change_key)  # where the pages call the API
        page.on(
            "response",
            lambda r: (
                refusals.append(r.status) if r.url.startswith(stack["aws_endpoint_url"]) else None
            ),
        )
        page.goto(f"{api}/upload.html")
        # When a technician fills it in and sends their photo
        page.locator("#file").set_input_files(str(photo))
        page.get_by_label("Caption").fill("Ripple tank set up for Year 10 waves")
        page.get_by_label("Your name as it should appear").fill("Prep Room")
        page.get_by_label("School or college").fill("Hilltop Academy")
        page.get_by_label("Email", exact=True).fill(f"{secrets.token_hex(4)}@school.example")
        page.get_by_label("Everyone who can be recognised").check()
        page.get_by_role("button", name="Upload photo").click()
        # Then S3 refuses it, the page says the upload did not finish and lets them retry
        page.locator("#upload-status", has_text="did not finish").wait_for()
        assert page.get_by_role("button", name="Upload photo").is_enabled()
    assert refusals == [403]
    # And nothing is stored under either key
    [created] = reserved
    fields = created["upload"]["fields"]
    for key in (fields["key"], _other_key(fields)["key"]):
        assert not _stored(stack, created["upload"]["url"], key)
    assert _status(api, created["photo_id"]) == "awaiting_upload"
