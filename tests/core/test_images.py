"""The engine's input stage (services.core.images): the formats a phone or scanner
writes decode, with their EXIF orientation applied; anything else is seed error 3 with a detail
that says what was wrong, and a decompression bomb is refused from its header."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from services.core.images import decode, inspect_image, load_rgb
from services.domain.schema import ErrorCode, SeedError

WIDTH, HEIGHT = 80, 48


def picture() -> Image.Image:
    """A small picture whose left half is dark and right half light, so orientation shows."""
    array = np.full((HEIGHT, WIDTH, 3), 230, dtype=np.uint8)
    array[:, : WIDTH // 2] = 20
    array[: HEIGHT // 4, :, 0] = 200  # a reddish band along the top edge
    return Image.fromarray(array)


def encoded(fmt: str, image: Image.Image | None = None, **options) -> bytes:
    buffer = io.BytesIO()
    (image or picture()).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def refused(data: bytes, **limits) -> SeedError:
    with pytest.raises(SeedError) as caught:
        decode(data, **limits)
    assert caught.value.code == ErrorCode.BAD_IMAGE
    return caught.value


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


# ---- accepted formats -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"),
                                       ("BMP", "image/bmp"), ("TIFF", "image/tiff")])
def test_each_accepted_format_decodes_to_rgb_with_its_size_and_mime(fmt: str, mime: str) -> None:
    rgb, meta = decode(encoded(fmt))
    assert rgb.shape == (HEIGHT, WIDTH, 3) and rgb.dtype == np.uint8
    assert (meta.format, meta.mime, meta.width, meta.height) == (fmt, mime, WIDTH, HEIGHT)
    # Left half dark, right half light, whatever the codec did to the edges.
    assert rgb[:, : WIDTH // 4].mean() < 80 and rgb[:, -WIDTH // 4:].mean() > 150


def test_grey_and_transparent_images_come_out_rgb_with_transparency_on_white() -> None:
    grey = picture().convert("L")
    assert load_rgb(encoded("PNG", grey)).shape == (HEIGHT, WIDTH, 3)
    clear = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    rgb = load_rgb(encoded("PNG", clear))
    assert rgb.shape == (HEIGHT, WIDTH, 3) and rgb.min() == 255


def test_inspect_image_gives_the_metadata_of_a_whole_image() -> None:
    meta = inspect_image(encoded("PNG"))
    assert (meta.format, meta.width, meta.height) == ("PNG", WIDTH, HEIGHT)


@pytest.mark.parametrize("orientation, turned", [(1, False), (3, False), (6, True), (8, True)])
def test_exif_orientation_is_applied(orientation: int, turned: bool) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    rgb = load_rgb(encoded("JPEG", exif=exif.tobytes(), quality=95))
    assert rgb.shape[:2] == ((WIDTH, HEIGHT) if turned else (HEIGHT, WIDTH))
    if orientation == 6:
        # Orientation 6: the stored picture is shown turned 90° clockwise, so its dark left half
        # ends up on top and its reddish top band on the right.
        assert rgb[: WIDTH // 4].mean() < 80 and rgb[-WIDTH // 4:].mean() > 150
        assert rgb[:, -HEIGHT // 8:, 0].mean() > rgb[:, : HEIGHT // 8, 0].mean()
    if orientation == 3:
        assert rgb[:, : WIDTH // 4].mean() > 150  # upside down: the dark half is on the right


# ---- refused inputs ---------------------------------------------------------------------------

def test_empty_bytes_are_refused() -> None:
    assert refused(b"").detail == "the file is empty"


def noise() -> Image.Image:
    return Image.fromarray(np.random.default_rng(7).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8))


def test_a_truncated_jpeg_is_refused_as_damaged() -> None:
    data = encoded("JPEG", noise(), quality=90)
    assert refused(data[: len(data) // 2]).detail == "the image data is damaged or incomplete"


def test_a_png_whose_idat_checksum_is_wrong_is_refused_as_damaged() -> None:
    data = encoded("PNG")
    at = data.index(b"IDAT")
    length = struct.unpack(">I", data[at - 4:at])[0]
    crc = at + 4 + length
    broken = data[:crc] + bytes([data[crc] ^ 0xFF]) + data[crc + 1:]
    detail = refused(broken).detail
    assert "PNG" in detail and "damaged" in detail and "IDAT" in detail


def test_text_named_like_a_jpeg_is_refused_as_not_an_image() -> None:
    assert refused(b"name,plate\nNGUYEN VAN A,30A-123.45\n" * 20).detail == \
        "not a JPEG, PNG, WebP, BMP or TIFF image"


def test_a_pdf_is_refused_as_not_an_image() -> None:
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
    assert refused(pdf).detail == "not a JPEG, PNG, WebP, BMP or TIFF image"


def test_another_image_format_is_refused_by_name() -> None:
    assert refused(encoded("GIF")).detail == "GIF images are not accepted"


def test_bytes_over_the_size_limit_are_refused_before_decoding() -> None:
    data = encoded("PNG", noise())
    assert len(data) > 5000
    detail = refused(data, max_bytes=1000).detail
    assert detail == f"the file is larger than 1000 bytes ({len(data) / 1024:.3g} KB)"
    assert refused(b"\0" * (3 * 1024 * 1024), max_bytes=2 * 1024 * 1024).detail == \
        "the file is larger than 2 MB (3 MB)"
    decode(data, max_bytes=len(data))  # exactly at the limit is fine


def test_an_image_over_the_pixel_limit_is_refused() -> None:
    detail = refused(encoded("PNG"), max_pixels=WIDTH * HEIGHT - 1).detail
    assert detail == f"the image has more than {WIDTH * HEIGHT - 1} pixels ({WIDTH}x{HEIGHT})"


def decompression_bomb() -> bytes:
    """A PNG whose header claims 50000 x 50000 pixels, with a tiny IDAT."""
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_fast_from_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    bomb = decompression_bomb()
    assert len(bomb) < 200
    started = time.perf_counter()
    error = refused(bomb)
    assert time.perf_counter() - started < 1.0
    assert error.detail.startswith("the image has more than")
    assert "pixels" in error.detail


def test_a_bomb_just_over_our_limit_but_under_pillows_is_refused_from_its_header(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: (_ for _ in ()).throw(AssertionError("decoded")))
    header = struct.pack(">IIBBBBB", 8000, 6000, 8, 2, 0, 0, 0)  # 48 Mpx: over 40, under Pillow's warning
    bomb = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))
    assert refused(bomb).detail == "the image has more than 40000000 pixels (8000x6000)"
