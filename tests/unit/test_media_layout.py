"""The media bucket's key layout (shared/media.py): the one place that says where objects live."""

from __future__ import annotations

from shared import media


def test_an_upload_lands_in_incoming_and_its_key_names_its_photo() -> None:
    key = media.incoming_key("abc_DEF-123")
    assert key == "incoming/abc_DEF-123"
    assert media.photo_id_of(key) == "abc_DEF-123"


def test_derivatives_are_private_until_published_under_the_same_names() -> None:
    private = media.derivative_keys("p1")
    public = media.derivative_keys("p1", "public")
    assert private == {"display": "private/p1/display.jpg", "thumb": "private/p1/thumb.jpg"}
    assert public == {"display": "public/p1/display.jpg", "thumb": "public/p1/thumb.jpg"}
    # every derivative sits under its photo's prefixes, which erasure deletes whole
    prefixes = media.photo_prefixes("p1")
    assert prefixes == ["private/p1/", "public/p1/"]
    assert all(
        any(k.startswith(p) for p in prefixes) for k in [*private.values(), *public.values()]
    )
    # and only public/ is what the CDN may serve
    assert all(k.startswith(media.PUBLIC_PREFIX) for k in public.values())
    assert not any(k.startswith(media.PUBLIC_PREFIX) for k in private.values())


def test_public_urls_are_the_base_and_the_public_keys() -> None:
    s3 = media.S3Media("bucket", "https://media.test")  # no trailing slash given
    assert s3.public_urls("p1") == (
        "https://media.test/public/p1/display.jpg",
        "https://media.test/public/p1/thumb.jpg",
    )
