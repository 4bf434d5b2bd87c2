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


def jpeg(image: Image.Image | None = None, *, orientation: int | None = None,
         quality: int = 92, icc: bool = True, xmp: bool = True) -> bytes:
    image = image or upright()
    out = io.BytesIO()
    params: dict[str, object] = {"quality": quality, "exif": exif_with_gps(orientation)}
    if icc:
        params["icc_profile"] = srgb_icc()
    if xmp:
        params["xmp"] = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
                         b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
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
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb(side: int = 15000) -> bytes:
    """A real, valid grey PNG of side x side pixels that compresses to a few hundred KB."""
    rows = b"\x00" * (side + 1) * 100  # 100 rows of a filter byte + zero pixels
    packer = zlib.compressobj(6)
    idat = b"".join(packer.compress(rows) for _ in range(side // 100)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat)
            + _chunk(b"IEND", b""))


def png_header_only(width: int, height: int) -> bytes:
    """Structurally whole, but its pixel data is a stub: only its header may ever be read."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


PHP = b"<?php system($_GET['c']); ?>"


def photo_like(size: tuple[int, int] = (3000, 2000)) -> Image.Image:
    """Something photo-ish and cheap to make: gradients and noise."""
    width, height = size
    noise = Image.effect_noise(size, 30)
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (noise, gradient, gradient.transpose(Image.Transpose.ROTATE_180)
                               .resize((width, height))))
