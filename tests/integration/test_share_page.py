"""GET /p/{photo_id} against moto, through the handlers: the share page of an approved photo,
an HTML 404 for anything else, gone with a takedown (and its CDN path invalidated)."""

from __future__ import annotations

from typing import Any

from tests.events import body_of
from tests.integration.test_takedowns import FlakyCloudFront, _moderate, _with_cdn
from tests.integration.test_upload_flow_support import (
    UPLOAD,
    api,
    process_pending,
    reserve,
    upload,
)
from tests.settings import AllSettings
from tests.unit import test_imaging_corpus as corpus
from tests.unit.test_share_page import HOSTILE, Parsed


def _processed(aws_env: Any, ctx: Any, **overrides: Any) -> str:
    photo_id = str(reserve(ctx, **overrides)["photo_id"])
    upload(aws_env, photo_id, corpus.jpeg(corpus.upright((640, 480))))
    process_pending(aws_env, ctx)
    return photo_id


def _site() -> str:
    from shared.config import load

    return str(load(AllSettings).site_url).rstrip("/")


def _share(photo_id: str, ctx: Any) -> dict[str, Any]:
    return api("GET", f"/p/{photo_id}", ctx)


def _is_not_found_page(response: dict[str, Any]) -> bool:
    return (
        response["statusCode"] == 404
        and response["headers"]["Content-Type"].startswith("text/html")
        and "This photo isn't in the gallery" in response["body"]
        and "Cache-Control" not in response["headers"]
    )


def test_an_approved_photo_has_a_share_page_with_its_preview_tags(aws_env, lambda_context):
    # Given an approved photo
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    gallery = body_of(api("GET", f"/photos/{photo_id}", lambda_context))
    # When its share page is asked for
    response = _share(photo_id, lambda_context)
    # Then it is an HTML page with the photo's preview tags and absolute URLs
    assert response["statusCode"] == 200
    headers = response["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "public, max-age=0, s-maxage=30"  # the CDN, briefly
    meta = Parsed(response["body"]).meta
    assert meta["og:title"] == UPLOAD["caption"]
    assert (
        meta["og:image"]
        == gallery["image_url"]
        == (f"https://media.test/public/{photo_id}/display.jpg")
    )
    assert meta["og:url"] == f"{_site()}/p/{photo_id}"
    assert str(UPLOAD["display_name"]) in meta["og:description"]
    assert str(UPLOAD["school"]) in meta["og:description"]
    assert meta["twitter:card"] == "summary_large_image"


def test_a_hostile_caption_is_escaped_on_the_served_page(aws_env, lambda_context):
    photo_id = _processed(aws_env, lambda_context, caption=HOSTILE)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    parsed = Parsed(_share(photo_id, lambda_context)["body"])
    assert parsed.meta["og:title"] == HOSTILE
    assert parsed.scripts == [{"type": "module", "src": "/js/share.js"}]


def test_photos_not_in_the_gallery_get_an_html_404(aws_env, lambda_context):
    # Given a reservation never uploaded, a photo awaiting moderation, and a rejected one
    reserved = str(reserve(lambda_context)["photo_id"])
    pending = _processed(aws_env, lambda_context, caption="Pending")
    rejected = _processed(aws_env, lambda_context, caption="Rejected")
    _moderate(rejected, {"decision": "reject", "reason_code": "duplicate"}, lambda_context)
    # Then none has a share page, nor does an unknown or malformed id
    for photo_id in (reserved, pending, rejected, "01NOSUCHPHOTO", "..", "%3Cscript%3E"):
        assert _is_not_found_page(_share(photo_id, lambda_context)), photo_id


def test_a_takedown_removes_the_share_page_and_invalidates_its_cdn_path(
    aws_env, lambda_context, monkeypatch
):
    # Given an approved photo whose share page is up
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    assert _share(photo_id, lambda_context)["statusCode"] == 200
    # When an organiser takes it down (behind a CDN)
    cloudfront = FlakyCloudFront(failures=0)
    _with_cdn(monkeypatch, cloudfront)
    _moderate(photo_id, {"decision": "reject", "reason_code": "inappropriate"}, lambda_context)
    # Then the page is gone at once, and the CDN is asked to forget its cached copy
    assert _is_not_found_page(_share(photo_id, lambda_context))
    (request,) = cloudfront.requests
    assert f"/p/{photo_id}" in request["InvalidationBatch"]["Paths"]["Items"]


def test_a_reported_photo_loses_its_share_page_until_an_organiser_restores_it(
    aws_env, lambda_context
):
    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    api("POST", f"/photos/{photo_id}/reports", lambda_context, body={"reason": "not ok"})
    assert _is_not_found_page(_share(photo_id, lambda_context))
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    assert _share(photo_id, lambda_context)["statusCode"] == 200


def test_the_approval_email_links_the_share_page(aws_env, lambda_context):
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    photo_id = _processed(aws_env, lambda_context)
    _moderate(photo_id, {"decision": "approve"}, lambda_context)
    (mail,) = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-2"].sent_messages
    assert f"{_site()}/p/{photo_id}" in str(mail.body)
