"""The review screen's card pictures: the card shown as stored with each field's box over it,
and a crop per field cut from one decoding of the card."""

from __future__ import annotations

import base64
import io
import re

from PIL import Image

from pages import _card_images as card_images
from services.review.workflow import FieldView


def _jpeg(width: int = 400, height: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    for x in range(0, width, 10):  # something to crop that is not uniform
        image.paste((x % 255, 40, 90), (x, 0, x + 5, height))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _field(name: str, box, confidence: float = 0.99, check_ok: bool = True, value: str = "<b>x</b>") -> FieldView:
    return FieldView(id=1, side="front", name=name, value=value, corrected_value=None, confidence=confidence, box=box,
                     check_ok=check_ok, check_reason="" if check_ok else "invalid", note="", status="extracted",
                     threshold=0.8, derived=False)


def test_the_overlay_shows_the_stored_jpeg_itself_not_a_second_compression() -> None:
    card = _jpeg()
    html = card_images.overlay_html(card, [_field("plate", (40, 20, 100, 50))])
    source = re.search(r'src="data:image/jpeg;base64,([^"]+)"', html)
    assert source is not None
    assert base64.b64decode(source.group(1)) == card


def test_each_box_sits_where_its_field_is_in_shares_of_the_picture_and_carries_its_flag() -> None:
    html = card_images.overlay_html(_jpeg(), [_field("plate", (40, 20, 100, 50), check_ok=False),
                                              _field("name", (0, 100, 200, 20), confidence=0.2),
                                              _field("colour", None)])
    assert 'class="vr-box failed_check" data-field="front-plate" ' \
           'style="left:10.000%;top:10.000%;width:25.000%;height:25.000%"' in html
    assert 'class="vr-box low_confidence" data-field="front-name"' in html
    assert "front-colour" not in html  # no box, nothing drawn
    assert "<b>x</b>" not in html  # values never go into the markup


def test_crops_of_many_boxes_equal_one_crop_at_a_time_and_an_empty_box_gives_none() -> None:
    card = _jpeg()
    boxes = [(40, 20, 100, 50), (0, 0, 10, 10), (500, 500, 10, 10)]
    together = card_images.crops(card, boxes)
    assert together == [card_images.crops(card, [box])[0] for box in boxes]
    assert together[2] is None
    first = Image.open(io.BytesIO(together[0]))
    assert first.size == (100 + 12, 50 + 12)  # the box and its margin
