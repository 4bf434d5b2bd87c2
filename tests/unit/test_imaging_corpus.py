"""Builders of the image corpus the upload tests use (generated, nothing checked in).

No tests here: `test_imaging.py` and the integration tests import these builders.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageCms

GPS_IFD = 0x8825
ORIENTATION = 0x0112
RED, BLUE = (220, 20, 20), (20, 20, 220)


def exif_with_gps(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (56.0, 22.0, 30.0)  # Crieff, roughly
    gps[3] = "W"
    gps[4] = (3.0, 50.0, 20.0)
    return exif.tobytes()


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def upright(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """Blue, with a red block at the top-left corner: shows orientation after any transform."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 3, size[1] // 3))
    return image


def xmp_packet(description: bytes = b"") -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + description + b"</rdf:RDF></x:xmpmeta>"
    )


def jpeg(
    image: Image.Image | None = None,
    *,
    orientation: int | None = None,
    quality: int = 92,
    icc: bool = True,
    xmp: bool | bytes = True,
    exif: bool = True,
) -> bytes:
    image = image or upright()
    out = io.BytesIO()
    params: dict[str, object] = {"quality": quality}
    if exif:
        params["exif"] = exif_with_gps(orientation)
    if icc:
        params["icc_profile"] = srgb_icc()
    if xmp:
        params["xmp"] = xmp if isinstance(xmp, bytes) else xmp_packet()
    image.save(out, "JPEG", **params)
    return out.getvalue()


# The stored pixels for each EXIF orientation, so that applying it shows `upright()`.
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def oriented_jpeg(orientation: int) -> bytes:
    step = STORED[orientation]
    image = upright() if step is None else upright().transpose(step)
    return jpeg(image, orientation=orientation)


def png(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **params)
    return out.getvalue()


def webp(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", **params)
    return out.getvalue()


def heic(image: Image.Image | None = None, *, orientation: int | None = None) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    (image or upright()).save(out, "HEIF", quality=90, exif=exif_with_gps(orientation))
    return out.getvalue()


# -- several pictures in one file: MPF JPEGs (CIPA DC-007) and HEIF collections ---------------
# MP types of the MPF index (the low 24 bits of an entry's attribute)
MP_PRIMARY = 0x030000  # "Baseline MP Primary Image"
MP_LARGE_THUMBNAIL = 0x010002  # a camera's full-HD preview
MP_DISPARITY = 0x020002  # the other eye of a stereo pair (3D cameras, a Nintendo 3DS)
MP_UNDEFINED = 0x000000  # what iPhone and Ultra HDR gain maps are listed as
_REPRESENTATIVE = 0x20000000

# What an iPhone (iOS 17/18, "Most Compatible") writes: the primary's XMP gives the HDR
# headroom, the gain map (listed in the MPF index) names itself as Apple's HDR gain map.
APPLE_PRIMARY_XMP = xmp_packet(
    b'<rdf:Description xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/" '
    b'HDRGainMap:HDRGainMapVersion="65536"/>'
)
APPLE_GAIN_MAP_XMP = xmp_packet(
    b'<rdf:Description xmlns:apdi="http://ns.apple.com/pixeldatainfo/1.0/" '
    b'apdi:AuxiliaryImageType="urn:com:apple:photo:2020:aux:hdrgainmap"/>'
)
# Android's Ultra HDR v1: the primary points at its gain map through a GContainer directory.
ULTRA_HDR_PRIMARY_XMP = xmp_packet(
    b'<rdf:Description xmlns:Container="http://ns.google.com/photos/1.0/container/" '
    b'xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0"/>'
)
ULTRA_HDR_GAIN_MAP_XMP = xmp_packet(
    b'<rdf:Description xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" '
    b'hdrgm:Version="1.0" hdrgm:GainMapMax="2.3"/>'
)


def _app_segments_end(data: bytes) -> int:
    """Offset just past SOI and the APPn segments that follow it (where MPF's APP2 goes)."""
    i = 2
    while data[i] == 0xFF and 0xE0 <= data[i + 1] <= 0xEF:
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return i


def mpf_jpeg(primary: bytes, extras: list[tuple[bytes, int]]) -> bytes:
    """`primary` with an MPF index (APP2) listing itself and each (jpeg, MP type) of `extras`,
    which are stored after it, as cameras and phones do."""
    count = 1 + len(extras)
    entries_at = 8 + 2 + 3 * 12 + 4  # TIFF header, the IFD's count, 3 entries, next-IFD
    ifd = (
        struct.pack("<H", 3)
        + struct.pack("<HHI4s", 0xB000, 7, 4, b"0100")  # MPFVersion
        + struct.pack("<HHII", 0xB001, 4, 1, count)  # NumberOfImages
        + struct.pack("<HHII", 0xB002, 7, 16 * count, entries_at)  # MPEntry
        + struct.pack("<I", 0)
    )
    tiff_size = 8 + len(ifd) + 16 * count
    segment_size = 4 + 4 + tiff_size  # marker, length, "MPF\0", the TIFF structure
    at = _app_segments_end(primary)
    tiff_start = at + 8  # offsets in the index count from the TIFF header
    primary_size = len(primary) + segment_size
    entries = struct.pack("<IIIHH", _REPRESENTATIVE | MP_PRIMARY, primary_size, 0, 0, 0)
    offset = primary_size
    for data, mp_type in extras:
        entries += struct.pack("<IIIHH", mp_type, len(data), offset - tiff_start, 0, 0)
        offset += len(data)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + entries
    segment = b"\xff\xe2" + struct.pack(">H", 2 + 4 + len(tiff)) + b"MPF\x00" + tiff
    assert len(segment) == segment_size
    return primary[:at] + segment + primary[at:] + b"".join(data for data, _ in extras)


def gain_map(size: tuple[int, int], xmp: bytes) -> bytes:
    """A grey JPEG as phones store their HDR gain maps: smaller than the photo, no EXIF."""
    return jpeg(Image.linear_gradient("L").resize(size), icc=False, xmp=xmp, exif=False)


def iphone_hdr_jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    """An iPhone HDR photo saved as JPEG: EXIF with GPS, and a half-size gain map in MPF."""
    primary = jpeg(photo_like(size), xmp=APPLE_PRIMARY_XMP)
    half = (size[0] // 2, size[1] // 2)
    return mpf_jpeg(primary, [(gain_map(half, APPLE_GAIN_MAP_XMP), MP_UNDEFINED)])


def ultra_hdr_jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    primary = jpeg(photo_like(size), xmp=ULTRA_HDR_PRIMARY_XMP)
    quarter = (size[0] // 4, size[1] // 4)
    return mpf_jpeg(primary, [(gain_map(quarter, ULTRA_HDR_GAIN_MAP_XMP), MP_UNDEFINED)])


def camera_mpf_jpeg(size: tuple[int, int] = (1200, 900)) -> bytes:
    """A camera JPEG with a smaller preview listed as an MPF "large thumbnail"."""
    preview = jpeg(upright((size[0] // 2, size[1] // 2)), icc=False, xmp=False)
    return mpf_jpeg(jpeg(upright(size)), [(preview, MP_LARGE_THUMBNAIL)])


def stereo_mpo(size: tuple[int, int] = (640, 480)) -> bytes:
    """A 3D camera's MPO: the left eye first (the primary), the right eye as a disparity image."""
    right = jpeg(Image.new("RGB", size, (20, 200, 20)), icc=False, xmp=False)
    return mpf_jpeg(jpeg(upright(size)), [(right, MP_DISPARITY)])


def pillow_mpo() -> bytes:
    """An MPO as Pillow writes one (`save_all`): the second frame is green."""
    out = io.BytesIO()
    upright((120, 80)).save(
        out,
        "MPO",
        save_all=True,
        exif=exif_with_gps(),
        append_images=[Image.new("RGB", (120, 80), (20, 200, 20))],
    )
    return out.getvalue()


def with_declared_size(data: bytes, size: tuple[int, int]) -> bytes:
    """The JPEG `data` with its frame header (SOFn) claiming `size`; its scan is unchanged, so
    only its header may ever be read."""
    i = 2
    while True:
        marker = data[i + 1]
        if marker in (0xC0, 0xC1, 0xC2):
            width, height = size
            return data[: i + 5] + struct.pack(">HH", height, width) + data[i + 9 :]
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")


def heic_collection(images: list[Image.Image], *, primary: int = 0) -> bytes:
    """One HEIF file holding several top-level images (an iPhone XS's two images, a Vision
    Pro spatial photo's two eyes, a burst), `primary` marked as the one to show."""
    import pillow_heif

    heif = pillow_heif.HeifFile()
    for image in images:
        heif.add_from_pillow(image)
    out = io.BytesIO()
    heif.save(out, quality=90, primary_index=primary, exif=exif_with_gps())
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (80, 60), (0, 230, 230, 20)).save(out, "JPEG", quality=95)
    return out.getvalue()


def png16() -> bytes:
    return png(Image.new("I;16", (80, 60), 32768))  # mid grey, in 16 bits


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (80, 60), 0)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0, 0, 0] * 254)
    image.paste(1, (40, 0, 80, 60))
    return png(image, transparency=0)  # left half transparent, right half red


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (40, 30), c) for c in (RED, BLUE)]
    return webp(frames[0], save_all=True, append_images=frames[1:], duration=100, loop=0)


def animated_png() -> bytes:
    frames = [Image.new("RGB", (40, 30), c) for c in (RED, BLUE)]
    return png(frames[0], save_all=True, append_images=frames[1:], duration=100, loop=0)


def animated_gif() -> bytes:
    frames = [Image.new("P", (40, 30), c) for c in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(side: int = 15000) -> bytes:
    """A real, valid grey PNG of side x side pixels that compresses to a few hundred KB."""
    rows = b"\x00" * (side + 1) * 100  # 100 rows of a filter byte + zero pixels
    packer = zlib.compressobj(6)
    idat = b"".join(packer.compress(rows) for _ in range(side // 100)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def png_header_only(width: int, height: int) -> bytes:
    """Structurally whole, but its pixel data is a stub: only its header may ever be read."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


PHP = b"<?php system($_GET['c']); ?>"


def photo_like(size: tuple[int, int] = (3000, 2000)) -> Image.Image:
    """Something photo-ish and cheap to make: gradients and noise."""
    width, height = size
    noise = Image.effect_noise(size, 30)
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge(
        "RGB",
        (noise, gradient, gradient.transpose(Image.Transpose.ROTATE_180).resize((width, height))),
    )
