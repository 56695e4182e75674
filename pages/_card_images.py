"""Pictures for the review screen: the aligned card with each field's box, and a field's crop.

Boxes are drawn in the colour of the field's flag so that the card and the inputs tell the same
story; no value is ever drawn (the picture is for where, the inputs are for what). On the screen
the boxes are laid over the picture (`overlay_html`), so that the one of the field being edited
can be outlined without redrawing the picture.
"""

from __future__ import annotations

import base64
import io
from typing import Optional, Sequence

from PIL import Image, ImageDraw

from services.review.workflow import FLAG_FAILED, FLAG_LOW, FieldView, ImageView

COLOURS = {FLAG_FAILED: (220, 38, 38), FLAG_LOW: (234, 140, 0), "ok": (22, 163, 74)}
MAX_CROP_WIDTH = 420


def image_for_side(images: Sequence[ImageView], side: str) -> Optional[ImageView]:
    """The stored image a side's fields were read from (the engine tells the side of an image
    uploaded as `any`)."""
    for image in images:
        if image.detected_side == side:
            return image
    for image in images:
        if image.side == side:
            return image
    return images[0] if len(images) == 1 else None


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def annotated(card: bytes, fields: Sequence[FieldView], *, focus: Optional[str] = None) -> bytes:
    """The card with a rectangle round every field that has a box, numbered in field order."""
    image = _open(card)
    draw = ImageDraw.Draw(image)
    width = max(2, image.width // 400)
    for number, f in enumerate((f for f in fields if f.box), start=1):
        x, y, w, h = f.box  # type: ignore[misc]
        colour = COLOURS.get(f.flag, COLOURS["ok"])
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=width * (2 if f.name == focus else 1))
        draw.text((x + 2, max(0, y - 12)), str(number), fill=colour)
    return _png(image)


def crops(card: bytes, boxes: Sequence[Sequence[int]], *, pad: int = 6) -> list[Optional[bytes]]:
    """Each field's region with a little margin, scaled down if wide, None for an empty box; the
    card is decoded once (a page shows every field's)."""
    image = _open(card)
    return [_crop(image, box, pad) for box in boxes]


def _crop(image: Image.Image, box: Sequence[int], pad: int) -> Optional[bytes]:
    x, y, w, h = (int(v) for v in box)
    left, top = max(0, x - pad), max(0, y - pad)
    right, bottom = min(image.width, x + w + pad), min(image.height, y + h + pad)
    if right <= left or bottom <= top:
        return None
    region = image.crop((left, top, right, bottom))
    if region.width > MAX_CROP_WIDTH:
        region = region.resize((MAX_CROP_WIDTH, max(1, region.height * MAX_CROP_WIDTH // region.width)))
    return _png(region)  # lossless: a crop is where a reviewer reads a doubtful letter


def overlay_html(card: bytes, fields: Sequence[FieldView], *, zoom: float = 1.0) -> str:
    """The card as an <img>, each field's box a positioned <div> over it (in shares of the
    picture, so they follow its zoom). Only our own field names and numbers go into the markup,
    never a value."""
    with Image.open(io.BytesIO(card)) as probe:  # the header only: size and format
        width, height = probe.size
        kind = (probe.format or "").lower()
    if kind in ("jpeg", "png", "webp"):
        payload, mime = card, f"image/{kind}"  # shown as stored: no decoding, no second JPEG pass
    else:
        buffer = io.BytesIO()
        _open(card).save(buffer, format="JPEG", quality=90)
        payload, mime = buffer.getvalue(), "image/jpeg"
    source = f"data:{mime};base64," + base64.b64encode(payload).decode("ascii")
    boxes = []
    for f in fields:
        if not f.box:
            continue
        x, y, w, h = f.box
        style = (f"left:{100 * x / width:.3f}%;top:{100 * y / height:.3f}%;"
                 f"width:{100 * w / width:.3f}%;height:{100 * h / height:.3f}%")
        boxes.append(f'<div class="vr-box {f.flag}" data-field="{f.side}-{f.name}" style="{style}"></div>')
    return (f'<div class="vr-card"><div style="position:relative;width:{100 * zoom:.0f}%">'
            f'<img src="{source}" alt="">{"".join(boxes)}</div></div>')


def thumbnail(card: bytes, width: int = 96) -> Optional[bytes]:
    """A small JPEG of the card, for a row of the queue."""
    try:
        image = _open(card)
    except OSError:
        return None
    image.thumbnail((width, width))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()
