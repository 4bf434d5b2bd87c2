"""Safe image processing: bytes in, two clean JPEG derivatives (or a reason) out. No boto3.

What arrives is identified by its bytes, never by the type the client declared, and only four
decoders can ever run (JPEG, PNG, WebP, HEIC). Before any pixel is decoded the file's structure
is checked (nothing hidden after the picture, nothing cut short) and its header size is held
against a pixel cap far below Pillow's default, so a small file cannot unpack into gigabytes.
The picture is decoded once, reduced to the display size (the JPEG decoder's own DCT scaling
does most of that for phone photos), oriented, flattened to sRGB RGB, and both derivatives are
re-encoded without any metadata: EXIF (and GPS), XMP and ICC never leave this module.
A file holding several pictures of one photo (a phone's HDR gain map or a camera's preview in a
JPEG's MPF index, a HEIF's second image, other eye or burst) gives its primary picture only; the
others are never decoded. Only PNG and WebP frames are animations, and those are refused.

Only the upload processor imports this module (Pillow is too heavy for the API's cold start).
"""

from __future__ import annotations

import io
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageCms, JpegImagePlugin, UnidentifiedImageError
from PIL import WebPImagePlugin as _webp  # noqa: F401 - loaded up front: Image.open won't init() all

from functions.upload.reasons import ImageRefused, Reason

try:  # HEIC (iPhones) decodes through libheif; registered here and nowhere else
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIF = True
except ImportError:  # pragma: no cover - a deployment without it refuses HEIC as unreadable
    HEIF = False

MAX_PIXELS = 50_000_000  # 50 MP: any phone camera, far below Pillow's ~89 MP default
MAX_SIDE = 20_000  # keeps absurd strips (100000 x 10) out too
DISPLAY_EDGE = 1600
THUMB_EDGE = 400
QUALITY = 82

# Pillow errors (rather than warns) above 2 x MAX_IMAGE_PIXELS, and we turn its warning into an
# error too, so its own guard sits at our cap; `_check_size` repeats it explicitly.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# In JPEG entropy-coded data, 0xFF is followed by 0x00 (stuffing), a restart marker or more
# 0xFF fill; anything else is the next marker.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_BOX_TYPE = re.compile(rb"^[a-z0-9]{4}$")

# EXIF orientation → the transposition that shows the photo upright (as ImageOps.exif_transpose).
_ORIENT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
_SRGB = None


@dataclass(frozen=True)
class Derivatives:
    display: bytes
    thumbnail: bytes
    width: int  # of the display image
    height: int
    source_format: str  # what the bytes turned out to be: JPEG, PNG, WEBP or HEIF
    content_type: str = "image/jpeg"


# -- identification and structure -------------------------------------------------------------
def sniff(data: bytes) -> str | None:
    """The format the bytes announce, among the four accepted; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == _PNG_SIGNATURE:
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        size = int.from_bytes(data[:4], "big")
        box = data[8 : max(8, min(size, 256))]
        brands = {box[i : i + 4] for i in range(0, len(box) - 3, 4)}
        if brands & _HEIF_BRANDS:
            return "HEIF"
    return None


def _jpeg_end(data: bytes, start: int) -> int:
    """Offset just past the EOI of the JPEG stream starting at `start`."""
    i = start + 2  # after SOI
    while True:
        marker, i = _jpeg_marker(data, i)
        if marker == 0xD9:  # EOI
            return i
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            continue
        i = _jpeg_segment_end(data, i)
        if marker == 0xDA:  # SOS: skip the entropy-coded scan up to the next real marker
            i = _jpeg_scan_end(data, i)


def _jpeg_marker(data: bytes, i: int) -> tuple[int, int]:
    """The marker at `i` (after any fill bytes), and the offset just past it."""
    n = len(data)
    if i >= n:
        raise ImageRefused(Reason.TRUNCATED)
    if data[i] != 0xFF:
        raise ImageRefused(Reason.CORRUPT)
    while i < n and data[i] == 0xFF:  # fill bytes
        i += 1
    if i >= n:
        raise ImageRefused(Reason.TRUNCATED)
    return data[i], i + 1


def _jpeg_segment_end(data: bytes, i: int) -> int:
    """Offset just past the marker segment whose two-byte length is at `i`."""
    if i + 2 > len(data):
        raise ImageRefused(Reason.TRUNCATED)
    length = int.from_bytes(data[i : i + 2], "big")
    if length < 2:
        raise ImageRefused(Reason.CORRUPT)
    if i + length > len(data):
        raise ImageRefused(Reason.TRUNCATED)
    return i + length


def _jpeg_scan_end(data: bytes, i: int) -> int:
    """Offset of the first real marker after the entropy-coded data starting at `i`."""
    found = _JPEG_MARKER.search(data, i)
    if found is None:
        raise ImageRefused(Reason.TRUNCATED)
    return found.start()


def _phone_trailer(rest: bytes) -> bool:
    """What phones legitimately append to a JPEG: the short video of a Motion Photo (an MP4,
    whose first box is `ftyp`) or Samsung's SEF trailer (which ends with `SEFT`). Both are
    dropped by re-encoding like everything else after the picture."""
    return rest[4:8] == b"ftyp" or (rest.endswith(b"SEFT") and b"SEFH" in rest)


def _check_jpeg(data: bytes) -> int:
    """The length of the primary picture, once everything after it is known to be harmless."""
    primary = end = _jpeg_end(data, 0)
    # MPF (CIPA DC-007) stores further JPEGs after the first: phones' HDR gain maps, cameras'
    # previews, a stereo pair's other eye. Each must be whole too; none is ever decoded.
    while end < len(data):
        rest = data[end:]
        if not rest.strip(b"\x00\r\n\t ") or _phone_trailer(rest):
            break  # padding, or a phone's own trailer
        if rest[:3] != b"\xff\xd8\xff":
            raise ImageRefused(Reason.POLYGLOT)
        end = _jpeg_end(data, end)
    return primary


def _check_png(data: bytes) -> int:
    n, i = len(data), 8
    while True:
        if i + 12 > n:
            raise ImageRefused(Reason.TRUNCATED)
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        i += 12 + length
        if i > n:
            raise ImageRefused(Reason.TRUNCATED)
        if kind == b"IEND":
            break
    if i != n:
        raise ImageRefused(Reason.POLYGLOT)
    return n


def _check_webp(data: bytes) -> int:
    if len(data) < 12:
        raise ImageRefused(Reason.TRUNCATED)
    size = int.from_bytes(data[4:8], "little")
    end = 8 + size + (size & 1)
    if end > len(data) and 8 + size != len(data):
        raise ImageRefused(Reason.TRUNCATED)
    if len(data) > end:
        raise ImageRefused(Reason.POLYGLOT)
    return len(data)


def _check_heif(data: bytes) -> int:
    """Top-level ISO-BMFF boxes must tile the file exactly."""
    i = 0
    while i < len(data):
        i += _box_size(data, i)
    return len(data)  # libheif finds the primary image itself, from the `meta` box


def _box_size(data: bytes, i: int) -> int:
    """The size of the top-level box at `i`, once it is known to fit in the file."""
    n = len(data)
    if i + 8 > n:
        raise ImageRefused(Reason.POLYGLOT)
    size = int.from_bytes(data[i : i + 4], "big")
    if not _BOX_TYPE.match(data[i + 4 : i + 8]):  # its type: four lower-case letters/digits
        raise ImageRefused(Reason.POLYGLOT)
    if size == 1:  # a 64-bit size follows the type
        if i + 16 > n:
            raise ImageRefused(Reason.TRUNCATED)
        size = int.from_bytes(data[i + 8 : i + 16], "big")
    elif size == 0:  # "to the end of the file"
        size = n - i
    if size < 8:
        raise ImageRefused(Reason.CORRUPT)
    if i + size > n:
        raise ImageRefused(Reason.TRUNCATED)
    return size


_STRUCTURE = {"JPEG": _check_jpeg, "PNG": _check_png, "WEBP": _check_webp, "HEIF": _check_heif}


def _checked(data: bytes) -> tuple[str, int]:
    """The accepted format of `data` and its primary picture's length, after structure checks."""
    if not data:
        raise ImageRefused(Reason.EMPTY)
    fmt = sniff(data)
    if fmt is None or (fmt == "HEIF" and not HEIF):
        raise ImageRefused(Reason.UNSUPPORTED)
    return fmt, _STRUCTURE[fmt](data)


def identify(data: bytes) -> str:
    """The accepted format of `data` after its structure checks; ImageRefused otherwise."""
    return _checked(data)[0]


# -- decoding ---------------------------------------------------------------------------------
def _open(data: bytes, fmt: str) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image: Image.Image
        try:
            if fmt == "JPEG":
                # `data` is the primary picture alone, opened as the plain JPEG it is: through
                # Image.open an MPF index would make it an MPO pointing at the other pictures.
                # Its header size meets the pixel cap in `_check_size`, as every format's does.
                image = JpegImagePlugin.JpegImageFile(io.BytesIO(data))
            else:
                image = Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(Reason.TOO_MANY_PIXELS) from None
        except UnidentifiedImageError:
            raise ImageRefused(Reason.CORRUPT) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError):
            raise ImageRefused(Reason.CORRUPT) from None
    if image.format not in _FORMATS:  # belt and braces: `formats=` already restricts
        raise ImageRefused(Reason.UNSUPPORTED)
    return image


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRefused(Reason.CORRUPT)
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise ImageRefused(Reason.TOO_MANY_PIXELS)


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(image: Image.Image) -> int:
    if image.format == "HEIF":
        return 1  # libheif already applied the container's rotation and mirroring
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block is just "no orientation"
        return 1
    return value if isinstance(value, int) else 1


def _normalise_mode(image: Image.Image) -> Image.Image:
    """A mode that resizes well: L, LA, RGB, RGBA or CMYK (alpha is flattened later)."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode == "PA":
        return image.convert("RGBA")
    if mode.startswith("I;16") or mode == "I":
        # 16-bit grey: scale 0..65535 down to 0..255 (a plain convert would clip to white)
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")


def _srgb() -> ImageCms.ImageCmsProfile:
    global _SRGB  # noqa: PLW0603 - built once per cold start
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


def _is_srgb(icc: bytes) -> bool:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return "srgb" in (ImageCms.getProfileDescription(profile) or "").casefold()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return True  # unreadable: treated as sRGB, as `_to_srgb` does


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB, alpha flattened on white, whatever came in."""
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        image = background
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            description = ImageCms.getProfileDescription(source) or ""
            if not (image.mode == "RGB" and "srgb" in description.casefold()):
                converted = ImageCms.profileToProfile(
                    image,
                    source,
                    _srgb(),
                    outputMode="RGB",
                    renderingIntent=ImageCms.Intent.PERCEPTUAL,
                )
                if converted is not None:
                    image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unreadable profile: treat the pixels as sRGB rather than refuse the photo
    return image if image.mode == "RGB" else image.convert("RGB")


def _encode(image: Image.Image) -> bytes:
    image.info = {}  # nothing of the source's metadata may ride along
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, progressive=True)
    return out.getvalue()


def process(data: bytes) -> Derivatives:
    """Identify, check and decode `data` once; return the display image and the thumbnail.

    Raises ImageRefused for anything that is the file's fault.
    """
    fmt, primary = _checked(data)
    image = _open(data[:primary] if primary < len(data) else data, fmt)
    _check_size(image)
    _refuse_animation(image, fmt)
    display = _display(image)
    display_jpeg, thumb_jpeg = _encode_both(display, image)
    return Derivatives(
        display=display_jpeg,
        thumbnail=thumb_jpeg,
        width=display.width,
        height=display.height,
        source_format=fmt,
    )


def _refuse_animation(image: Image.Image, fmt: str) -> None:
    """Only PNG (APNG) and WebP frames are animations. A HEIF's other images (an iPhone XS's
    second one, a spatial photo's other eye, a burst) are left undecoded: pillow-heif opens
    the primary image, which is the photo."""
    if fmt in ("PNG", "WEBP") and (
        getattr(image, "n_frames", 1) > 1 or getattr(image, "is_animated", False)
    ):
        raise ImageRefused(Reason.ANIMATED)


def _display(image: Image.Image) -> Image.Image:
    """The display image: decoded once at (about) its size, upright, in sRGB (or still YCbCr,
    the JPEG fast path)."""
    target = _fit(image.size, DISPLAY_EDGE)
    icc = image.info.get("icc_profile")  # read from the header: no decoding yet
    icc = icc if isinstance(icc, bytes) and icc else None
    # The common phone JPEG (YCbCr, no profile or an sRGB one) stays in YCbCr from the decoder
    # to the encoder: two colour conversions of every pixel saved, the same picture out.
    fast = (
        isinstance(image, JpegImagePlugin.JpegImageFile)
        and image.mode == "RGB"
        and (icc is None or _is_srgb(icc))
    )
    display, orientation = _decode_resized(image, target, fast=fast)
    for step in _ORIENT.get(orientation, ()):
        display = display.transpose(step)
    if display.mode != "YCbCr":
        display = _to_srgb(display, icc)
    return display


def _decode_resized(
    image: Image.Image, target: tuple[int, int], *, fast: bool
) -> tuple[Image.Image, int]:
    """The decoded picture at `target` size, and its EXIF orientation."""
    try:
        if isinstance(image, JpegImagePlugin.JpegImageFile):
            # DCT scaling while decoding: only works with an aspect-preserving size (TOOLCHAIN)
            image.draft("YCbCr" if fast else "RGB", target)
        image.load()  # first, and alone: nothing may swallow a decoding error (getexif loads)
        orientation = _orientation(image)
        decoded = image if fast else _normalise_mode(image)
        # After DCT scaling the display image is at most 2x smaller than what the decoder gave:
        # a triangle (bilinear) filter is antialiased at that ratio and half Lanczos' cost.
        display = (
            decoded.resize(target, Image.Resampling.BILINEAR) if decoded.size != target else decoded
        )
    except (OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise ImageRefused(Reason.CORRUPT) from None
    except Image.DecompressionBombError:
        raise ImageRefused(Reason.TOO_MANY_PIXELS) from None
    return display, orientation


def _encode_both(display: Image.Image, source: Image.Image) -> tuple[bytes, bytes]:
    """The display image and its thumbnail as clean JPEGs."""
    thumb_size = _fit(display.size, THUMB_EDGE)
    # Pillow releases the GIL while encoding: the display image encodes beside the thumbnail.
    with ThreadPoolExecutor(max_workers=1) as pool:
        display_jpeg = pool.submit(_encode, display.copy() if display is source else display)
        # reducing_gap=1: box-average down to the nearest whole factor first (an area average,
        # the ideal antialias for it), Lanczos only for what remains.
        thumb = (
            display.resize(thumb_size, Image.Resampling.LANCZOS, reducing_gap=1.0)
            if display.size != thumb_size
            else display.copy()
        )
        thumb_jpeg = _encode(thumb)
        return display_jpeg.result(), thumb_jpeg


__all__ = ["MAX_PIXELS", "Derivatives", "ImageRefused", "identify", "process", "sniff"]
