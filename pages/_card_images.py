"""Pictures for the review screen: the aligned card with each field's box, and a field's crop.

Boxes are drawn in the colour of the field's flag so that the card and the inputs tell the same
story; no value is ever drawn (the picture is for where, the inputs are for what). On the screen
the boxes are laid over the picture (`overlay_html`), so that the one of the field being edited
can be outlined without redrawing the picture, and a field's crop is a window onto that same
picture (`crop_html`): the card goes to the browser once, and no crop is cut or encoded.
"""

from __future__ import annotations

import base64
import io
from typing import Optional, Sequence

from PIL import Image

from services.review.workflow import FieldView, ImageView



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


def picture_size(card: bytes) -> tuple[int, int]:
    """Width and height from the picture's header, without decoding it."""
    with Image.open(io.BytesIO(card)) as probe:
        return probe.size


def source_class(image_id: int) -> str:
    """The CSS class that carries a card picture for its fields' crops (`overlay_html` defines it)."""
    return f"vr-src-{int(image_id)}"


def crop_html(box: Sequence[int], size: tuple[int, int], source: str, *, pad: int = 6) -> Optional[str]:
    """A field's region with a little margin, as a window onto the card picture the overlay has
    already sent (its CSS class `source`): nothing is decoded or encoded on the server and the
    browser fetches nothing more. None for a box outside the picture. Numbers and our own class
    name only go into the markup."""
    width, height = size
    x, y, w, h = (int(v) for v in box)
    left, top = max(0, x - pad), max(0, y - pad)
    right, bottom = min(width, x + w + pad), min(height, y + h + pad)
    if right <= left or bottom <= top:
        return None
    crop_w, crop_h = right - left, bottom - top
    # Background percentages: the picture is scaled so the window is the crop, and p % of the
    # picture sits on p % of the window, hence offset / (picture - window).
    at_x = 0.0 if width == crop_w else 100 * left / (width - crop_w)
    at_y = 0.0 if height == crop_h else 100 * top / (height - crop_h)
    style = (f"aspect-ratio:{crop_w}/{crop_h};background-size:{100 * width / crop_w:.3f}% {100 * height / crop_h:.3f}%;"
             f"background-position:{at_x:.3f}% {at_y:.3f}%")
    return f'<div class="vr-crop {source}" style="{style}"></div>'


def overlay_html(card: bytes, fields: Sequence[FieldView], *, zoom: float = 1.0, source: str = "",
                 url: Optional[str] = None) -> str:
    """The card as an <img>, each field's box a positioned <div> over it (in shares of the
    picture, so they follow its zoom), and, given `source`, that CSS class defined as the same
    picture for the crops (`crop_html`). The picture is fetched from `url` when there is one (our
    own address, digits and hex only), else carried in the markup. Only our own field names and
    numbers go into the markup, never a value."""
    with Image.open(io.BytesIO(card)) as probe:  # the header only: size and format
        width, height = probe.size
        kind = (probe.format or "").lower()
    if url is not None:
        data_url = url
    elif kind in ("jpeg", "png", "webp"):
        # Shown as stored: no decoding, no second JPEG pass.
        data_url = f"data:image/{kind};base64," + base64.b64encode(card).decode("ascii")
    else:
        buffer = io.BytesIO()
        _open(card).save(buffer, format="JPEG", quality=90)
        data_url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    boxes = []
    for f in fields:
        if not f.box:
            continue
        x, y, w, h = f.box
        style = (f"left:{100 * x / width:.3f}%;top:{100 * y / height:.3f}%;"
                 f"width:{100 * w / width:.3f}%;height:{100 * h / height:.3f}%")
        boxes.append(f'<div class="vr-box {f.flag}" data-field="{f.side}-{f.name}" style="{style}"></div>')
    defined = f'<style>.{source} {{ background-image: url("{data_url}"); }}</style>' if source else ""
    return (f'{defined}<div class="vr-card"><div style="position:relative;width:{100 * zoom:.0f}%">'
            f'<img src="{data_url}" alt="">{"".join(boxes)}</div></div>')


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
