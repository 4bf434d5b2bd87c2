"""The image pipeline over a generated corpus: what is accepted, what is refused and why, and
that nothing of the source's metadata survives."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from functions.upload import imaging
from functions.upload.reasons import TEXT, ImageRefused, Reason
from tests.unit import test_imaging_corpus as corpus


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _refusal(data: bytes) -> Reason:
    with pytest.raises(ImageRefused) as caught:
        imaging.process(data)
    return caught.value.reason


def _assert_clean_jpeg(data: bytes) -> Image.Image:
    image = _open(data)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert not image.getexif()  # no EXIF at all, so no GPS
    assert "icc_profile" not in image.info
    assert "xmp" not in image.info
    assert image.info.get("progressive") or image.info.get("progression")
    return image


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied_then_dropped(orientation: int) -> None:
    # Given a JPEG stored sideways/mirrored with the EXIF orientation that makes it upright
    data = corpus.oriented_jpeg(orientation)
    # When it is processed
    result = imaging.process(data)
    # Then the display image is upright (96 x 64, red top-left) and carries no orientation
    display = _assert_clean_jpeg(result.display)
    assert display.size == (96, 64) == (result.width, result.height)
    assert _close(display.getpixel((5, 5)), corpus.RED)
    assert _close(display.getpixel((90, 60)), corpus.BLUE)


def test_gps_exif_xmp_and_icc_are_removed_from_both_derivatives() -> None:
    # Given a phone JPEG with GPS in its EXIF, an XMP packet and an ICC profile
    data = corpus.jpeg(corpus.photo_like((1200, 900)))
    assert _open(data).getexif().get_ifd(corpus.GPS_IFD)
    # When processed
    result = imaging.process(data)
    # Then neither derivative has any of it
    _assert_clean_jpeg(result.display)
    _assert_clean_jpeg(result.thumbnail)
    assert b"Exif" not in result.display[:200]
    assert b"<x:xmpmeta" not in result.display


def test_large_photo_gives_1600_display_and_400_thumbnail_keeping_aspect() -> None:
    data = corpus.jpeg(corpus.upright((4000, 3000)), quality=80)
    result = imaging.process(data)
    display, thumb = _open(result.display), _open(result.thumbnail)
    assert display.size == (1600, 1200) == (result.width, result.height)
    assert thumb.size == (400, 300)
    assert result.source_format == "JPEG"


def test_small_photo_is_not_upscaled() -> None:
    result = imaging.process(corpus.jpeg(corpus.upright((300, 200))))
    assert (result.width, result.height) == (300, 200)
    assert _open(result.thumbnail).size == (300, 200)


def test_cmyk_jpeg_becomes_rgb() -> None:
    result = imaging.process(corpus.cmyk_jpeg())
    display = _assert_clean_jpeg(result.display)
    red, green, blue = display.getpixel((40, 30))  # type: ignore[misc]
    assert red > 150 and green < 80 and blue < 80


def test_16_bit_png_is_scaled_not_clipped() -> None:
    result = imaging.process(corpus.png16())
    display = _assert_clean_jpeg(result.display)
    assert _close(display.getpixel((40, 30)), (128, 128, 128), tolerance=8)
    assert result.source_format == "PNG"


def test_palette_png_transparency_is_flattened_on_white() -> None:
    result = imaging.process(corpus.palette_png_with_transparency())
    display = _assert_clean_jpeg(result.display)
    assert _close(display.getpixel((10, 30)), (255, 255, 255), tolerance=10)
    assert _close(display.getpixel((70, 30)), (200, 30, 30))


def test_rgba_png_and_webp_are_accepted() -> None:
    rgba = Image.new("RGBA", (60, 40), (0, 0, 255, 0))
    rgba.paste((0, 200, 0, 255), (30, 0, 60, 40))
    for data in (corpus.png(rgba), corpus.webp(rgba, lossless=True)):
        display = _assert_clean_jpeg(imaging.process(data).display)
        assert _close(display.getpixel((5, 20)), (255, 255, 255), tolerance=10)
        assert _close(display.getpixel((50, 20)), (0, 200, 0))


def test_heic_from_an_iphone_is_accepted_upright_and_without_gps() -> None:
    # Given an iPhone-style HEIC, stored sideways with orientation 6 and GPS in its EXIF
    data = corpus.heic(corpus.upright().transpose(Image.Transpose.ROTATE_90), orientation=6)
    # When processed
    result = imaging.process(data)
    # Then it is an upright, clean JPEG
    display = _assert_clean_jpeg(result.display)
    assert result.source_format == "HEIF"
    assert display.size == (96, 64)
    assert _close(display.getpixel((5, 5)), corpus.RED, tolerance=60)


def test_declared_type_is_ignored_bytes_decide() -> None:
    assert imaging.sniff(corpus.png(corpus.upright())) == "PNG"
    assert imaging.sniff(corpus.jpeg()) == "JPEG"
    assert imaging.sniff(corpus.webp(corpus.upright())) == "WEBP"
    assert imaging.sniff(corpus.heic()) == "HEIF"
    assert imaging.sniff(b"GIF89a....") is None


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"", Reason.EMPTY),
        (corpus.animated_webp, Reason.ANIMATED),
        (corpus.animated_png, Reason.ANIMATED),
        (corpus.animated_gif, Reason.UNSUPPORTED),
        (lambda: b"%PDF-1.7\n" + b"x" * 100, Reason.UNSUPPORTED),
        (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", Reason.UNSUPPORTED),
        (lambda: corpus.jpeg() + corpus.PHP, Reason.POLYGLOT),
        (lambda: corpus.png(corpus.upright()) + corpus.PHP, Reason.POLYGLOT),
        (lambda: corpus.webp(corpus.upright()) + corpus.PHP, Reason.POLYGLOT),
        (lambda: corpus.heic() + corpus.PHP, Reason.POLYGLOT),
        (lambda: corpus.jpeg()[: len(corpus.jpeg()) // 2], Reason.TRUNCATED),
        (lambda: corpus.png(corpus.photo_like((300, 200)))[:2000], Reason.TRUNCATED),
        (lambda: corpus.webp(corpus.photo_like((300, 200)))[:2000], Reason.TRUNCATED),
        (lambda: corpus.heic(corpus.photo_like((300, 200)))[:-500], Reason.TRUNCATED),
        (lambda: corpus.png_header_only(8000, 7000), Reason.TOO_MANY_PIXELS),
        (lambda: corpus.png_header_only(30000, 10), Reason.TOO_MANY_PIXELS),
    ],
    ids=[
        "zero-byte",
        "animated-webp",
        "animated-png",
        "animated-gif",
        "pdf",
        "svg",
        "jpeg+php",
        "png+php",
        "webp+php",
        "heic+php",
        "truncated-jpeg",
        "truncated-png",
        "truncated-webp",
        "truncated-heic",
        "56mp-header",
        "strip",
    ],
)
def test_files_that_are_not_acceptable_photos_are_refused_with_a_reason(make, reason) -> None:
    assert _refusal(make()) == reason
    assert TEXT[reason]  # every reason has words for the technician


def test_jpeg_followed_by_another_jpeg_mpf_style_is_accepted() -> None:
    data = corpus.jpeg() + corpus.jpeg(corpus.upright((32, 24)), icc=False, xmp=False)
    assert imaging.process(data).width == 96


@pytest.mark.parametrize(
    "trailer",
    [
        # a Motion Photo's video: an MP4 whose first box is `ftyp`
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64,
        # Samsung's SEF trailer
        b"\x00\x00SEFH\x01\x00\x00\x00Image_UTC_Data1616000000000" + b"\x10\x00\x00\x00SEFT",
    ],
    ids=["motion-photo", "samsung-sef"],
)
def test_what_phones_append_to_their_jpegs_is_accepted_and_dropped(trailer) -> None:
    # Given a phone photo with the phone's own data after the picture
    result = imaging.process(corpus.jpeg() + trailer)
    # Then it is processed, and nothing of the trailer survives re-encoding
    assert result.width == 96
    assert b"ftyp" not in result.display and b"SEFT" not in result.display


def test_a_fake_phone_trailer_does_not_let_a_payload_through() -> None:
    assert _refusal(corpus.jpeg() + corpus.PHP + b"SEFT") == Reason.POLYGLOT


def test_decompression_bomb_is_refused_from_its_header_without_decoding(monkeypatch) -> None:
    # Given a valid 15000 x 15000 PNG that compresses to a few hundred KB
    data = corpus.png_bomb()
    assert len(data) < 500_000

    # and a decoder that would fail the test if anything were decoded
    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    # When processed, Then it is refused for its pixel count
    assert _refusal(data) == Reason.TOO_MANY_PIXELS


def test_corrupt_pixel_data_behind_a_valid_structure_is_refused() -> None:
    data = bytearray(corpus.png(corpus.photo_like((200, 100))))
    idat = data.index(b"IDAT")
    data[idat + 10 : idat + 60] = b"\x00" * 50  # zlib stream damaged, chunk lengths intact
    assert _refusal(bytes(data)) in (Reason.CORRUPT, Reason.TRUNCATED)


def test_unsupported_file_reason_text_is_what_a_technician_understands() -> None:
    assert TEXT[Reason.UNSUPPORTED] == (
        "This file isn't a photo we can read: please upload a JPEG, PNG, WebP or HEIC."
    )


# -- several pictures in one file: phones' gain maps, cameras' previews, HEIF collections ------
GREEN = (20, 200, 20)


def _single_clean_jpeg(data: bytes) -> Image.Image:
    """A clean JPEG that is one picture only: no MPF index, nothing after its end."""
    image = _assert_clean_jpeg(data)
    assert getattr(image, "n_frames", 1) == 1
    assert b"MPF\x00" not in data
    assert data.rindex(b"\xff\xd9") == len(data) - 2
    return image


@pytest.mark.parametrize(
    ("make", "size"),
    [
        (corpus.iphone_hdr_jpeg, (1200, 900)),
        (corpus.camera_mpf_jpeg, (1200, 900)),
        (corpus.stereo_mpo, (640, 480)),
        (corpus.pillow_mpo, (120, 80)),
    ],
    ids=["iphone-hdr-gain-map", "camera-preview", "stereo-pair", "pillow-mpo"],
)
def test_mpf_jpegs_are_accepted_as_their_primary_picture_alone(make, size) -> None:
    # Given a JPEG whose MPF index lists further pictures after it (which Pillow opens as MPO)
    data = make()
    assert Image.open(io.BytesIO(data)).format == "MPO"
    # When processed
    result = imaging.process(data)
    # Then the derivatives are the primary picture, re-encoded alone: no EXIF/GPS, no index,
    # nothing of the other pictures
    display = _single_clean_jpeg(result.display)
    _single_clean_jpeg(result.thumbnail)
    assert display.size == size == (result.width, result.height)
    assert result.source_format == "JPEG"
    if make is not corpus.iphone_hdr_jpeg:  # the others are `upright()`: red top-left, blue
        assert _close(display.getpixel((2, 2)), corpus.RED)
        assert _close(display.getpixel((size[0] - 3, size[1] - 3)), corpus.BLUE)


def test_ultra_hdr_jpeg_is_accepted_as_its_primary_picture() -> None:
    result = imaging.process(corpus.ultra_hdr_jpeg())
    assert (result.width, result.height) == (1200, 900)
    _single_clean_jpeg(result.display)


def test_an_mpf_gain_map_with_a_huge_header_is_never_read(monkeypatch) -> None:
    # Given an iPhone-shaped photo whose second picture claims 15000 x 15000 (225 MP)
    from PIL import JpegImagePlugin

    huge = corpus.with_declared_size(
        corpus.gain_map((60, 40), corpus.APPLE_GAIN_MAP_XMP), (15000, 15000)
    )
    data = corpus.mpf_jpeg(corpus.jpeg(corpus.upright((120, 80))), [(huge, corpus.MP_UNDEFINED)])
    # and a JPEG parser that records every frame header it reads
    seen: list[tuple[int, int]] = []
    real_open = JpegImagePlugin.JpegImageFile._open

    def recording_open(self):
        real_open(self)
        seen.append(self.size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "_open", recording_open)
    # When processed, Then the primary is the photo and the second picture was never parsed,
    # so it was never decoded either
    assert (imaging.process(data).width, seen) == (120, [(120, 80)])


def test_the_pixel_cap_holds_for_an_mpf_primary_without_decoding(monkeypatch) -> None:
    # Given an MPF JPEG whose primary claims 15000 x 15000, with a small gain map after it
    primary = corpus.with_declared_size(corpus.jpeg(corpus.upright((120, 80))), (15000, 15000))
    data = corpus.mpf_jpeg(
        primary, [(corpus.gain_map((60, 40), corpus.APPLE_GAIN_MAP_XMP), corpus.MP_UNDEFINED)]
    )

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    # When processed, Then it is refused for its pixel count
    assert _refusal(data) == Reason.TOO_MANY_PIXELS


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: corpus.iphone_hdr_jpeg((300, 200))[:-2000], Reason.TRUNCATED),
        (lambda: corpus.iphone_hdr_jpeg((300, 200)) + corpus.PHP, Reason.POLYGLOT),
        (
            lambda: corpus.mpf_jpeg(corpus.jpeg(), [(corpus.PHP, corpus.MP_UNDEFINED)]),
            Reason.POLYGLOT,
        ),
    ],
    ids=["gain-map-cut-short", "php-after-gain-map", "php-listed-as-gain-map"],
)
def test_mpf_jpegs_are_still_checked_to_their_last_byte(make, reason) -> None:
    assert _refusal(make()) == reason


@pytest.mark.parametrize(
    ("images", "primary"),
    [
        # an iPhone XS photo: two images, the second the primary
        ([Image.new("RGB", (64, 64), GREEN), corpus.upright()], 1),
        # a Vision Pro spatial photo: left and right eye, the left the primary
        ([corpus.upright(), Image.new("RGB", (96, 64), GREEN)], 0),
        # a burst of three, the middle one picked
        (
            [
                Image.new("RGB", (96, 64), GREEN),
                corpus.upright(),
                Image.new("RGB", (96, 64), GREEN),
            ],
            1,
        ),
    ],
    ids=["iphone-xs", "spatial-photo", "burst"],
)
def test_heic_with_several_images_is_accepted_as_its_primary_image(images, primary) -> None:
    # Given one HEIF file holding several images
    data = corpus.heic_collection(images, primary=primary)
    # When processed
    result = imaging.process(data)
    # Then the derivatives are its primary image (red top-left), one clean JPEG
    display = _single_clean_jpeg(result.display)
    assert result.source_format == "HEIF"
    assert display.size == (96, 64)
    assert _close(display.getpixel((5, 5)), corpus.RED, tolerance=60)
    assert _close(display.getpixel((90, 60)), corpus.BLUE, tolerance=60)


def test_heic_images_other_than_the_primary_are_never_decoded(monkeypatch) -> None:
    import inspect

    import pillow_heif.heif

    # Given a HEIF with a small primary and a bigger second image
    data = corpus.heic_collection([corpus.upright(), corpus.photo_like((640, 480))])
    decoded: list[tuple[int, int]] = []
    real_data = inspect.getattr_static(pillow_heif.heif.HeifImage, "data")  # the property

    def recording_data(self):
        decoded.append(self.size)
        return real_data.fget(self)

    monkeypatch.setattr(pillow_heif.heif.HeifImage, "data", property(recording_data))
    # When processed, Then only the primary's pixels were decoded
    assert imaging.process(data).width == 96
    assert decoded and set(decoded) == {(96, 64)}


def test_each_refusal_says_what_was_wrong_in_its_own_words() -> None:
    # Damaged and unsupported files, animations and oversized pictures are told apart
    texts = [TEXT[reason] for reason in Reason]
    assert len(set(texts)) == len(texts)
    assert "animat" in TEXT[Reason.ANIMATED] and "PNG" in TEXT[Reason.ANIMATED]
    assert "damaged" in TEXT[Reason.CORRUPT]
    # both limits the pictures are held against: a 30000 x 10 strip has few pixels
    assert f"{imaging.MAX_PIXELS // 1_000_000} megapixels" in TEXT[Reason.TOO_MANY_PIXELS]
    assert f"{imaging.MAX_SIDE:,} pixels along" in TEXT[Reason.TOO_MANY_PIXELS]
