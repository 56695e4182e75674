"""Input stage: accept the image formats a phone or scanner produces, refuse everything else.

Decoding happens in two steps so that a decompression bomb is refused from its header, before
any pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from services.domain.schema import ErrorCode, SeedError

# Pillow format name -> MIME type. MPO is the multi-picture JPEG some phones write.
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ImageMeta:
    format: str
    mime: str
    width: int
    height: int
    size: int


def _open(data: bytes, max_bytes: int, max_pixels: int) -> tuple[Image.Image, ImageMeta]:
    if not data:
        raise SeedError(ErrorCode.BAD_IMAGE, "the file is empty")
    if len(data) > max_bytes:
        raise SeedError(ErrorCode.BAD_IMAGE, f"the file is larger than {_size(max_bytes)} ({_size(len(data))})")
    try:
        with warnings.catch_warnings():
            # Pillow warns (or raises) about large images itself; our own limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise SeedError(ErrorCode.BAD_IMAGE, f"the image has more than {max_pixels} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise SeedError(ErrorCode.BAD_IMAGE, "not a JPEG, PNG, WebP, BMP or TIFF image") from exc
    if image.format not in ACCEPTED_FORMATS:
        raise SeedError(ErrorCode.BAD_IMAGE, f"{image.format or 'unknown'} images are not accepted")
    width, height = image.size
    if width <= 0 or height <= 0:
        raise SeedError(ErrorCode.BAD_IMAGE, "the image has no pixels")
    if width * height > max_pixels:
        raise SeedError(ErrorCode.BAD_IMAGE, f"the image has more than {max_pixels} pixels ({width}x{height})")
    meta = ImageMeta(format=image.format, mime=ACCEPTED_FORMATS[image.format], width=width, height=height,
                     size=len(data))
    return image, meta


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.3g} MB"
    if count >= 1024:
        return f"{count / 1024:.3g} KB"
    return f"{count} bytes"


def _verify_png(data: bytes) -> None:
    """Pillow decodes a PNG without checking its chunks' CRCs; `verify` checks them all."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise SeedError(ErrorCode.BAD_IMAGE, f"the PNG data is damaged ({exc})") from exc


def inspect_image(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageMeta:
    """Check that the bytes are a whole, decodable image of an accepted format and size.

    Raises `SeedError(BAD_IMAGE)` with a precise detail otherwise.
    """
    return decode(data, max_bytes=max_bytes, max_pixels=max_pixels)[1]


def load_rgb(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
             max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode to an RGB array with the EXIF orientation applied."""
    return decode(data, max_bytes=max_bytes, max_pixels=max_pixels)[0]


def decode(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
           max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[np.ndarray, ImageMeta]:
    """Decode every pixel (which is what finds truncated or corrupt files) to RGB, EXIF
    orientation applied."""
    image, meta = _open(data, max_bytes, max_pixels)
    if meta.format == "PNG":
        try:
            _verify_png(data)
        except SeedError:
            image.close()
            raise
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
            image = ImageOps.exif_transpose(image) or image
            if image.mode not in ("RGB", "L"):
                # Flatten transparency onto white, as a printed card would be.
                if "A" in image.getbands() or image.mode == "P":
                    rgba = image.convert("RGBA")
                    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    image = Image.alpha_composite(background, rgba)
                image = image.convert("RGB")
            elif image.mode == "L":
                image = image.convert("RGB")
            return np.asarray(image, dtype=np.uint8).copy(), meta
    except SeedError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise SeedError(ErrorCode.BAD_IMAGE, "the image data is damaged or incomplete") from exc
    finally:
        image.close()
