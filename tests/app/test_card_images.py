"""The review screen's card pictures: the card shown as stored with each field's box over it,
and a crop per field as a window onto that same picture."""

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


def test_the_overlay_defines_the_crops_picture_once_as_the_same_stored_bytes() -> None:
    card = _jpeg()
    html = card_images.overlay_html(card, [], source=card_images.source_class(7))
    defined = re.findall(r'\.vr-src-7 \{ background-image: url\("data:image/jpeg;base64,([^"]+)"\); \}', html)
    assert len(defined) == 1 and base64.b64decode(defined[0]) == card
    assert "vr-src" not in card_images.overlay_html(card, [])  # no crops asked for, nothing defined


def _window(html: str) -> dict[str, str]:
    style = re.search(r'style="([^"]+)"', html).group(1)
    return dict(part.split(":", 1) for part in style.split(";"))


def test_a_crop_is_a_window_on_the_box_and_its_margin_in_shares_of_the_picture() -> None:
    # A 400 x 200 card; the box (40, 20, 100, 50) with 6 px each side is 112 x 62 from (34, 14).
    html = card_images.crop_html((40, 20, 100, 50), (400, 200), card_images.source_class(3))
    assert 'class="vr-crop vr-src-3"' in html
    window = _window(html)
    assert window["aspect-ratio"] == "112/62"
    assert window["background-size"] == f"{100 * 400 / 112:.3f}% {100 * 200 / 62:.3f}%"
    # p % of the picture on p % of the window: p = offset / (picture - window).
    assert window["background-position"] == f"{100 * 34 / (400 - 112):.3f}% {100 * 14 / (200 - 62):.3f}%"


def test_a_crop_at_the_edge_is_clipped_to_the_picture_and_one_outside_it_is_none() -> None:
    window = _window(card_images.crop_html((0, 0, 10, 10), (400, 200), "vr-src-1"))
    assert window["aspect-ratio"] == "16/16" and window["background-position"] == "0.000% 0.000%"
    whole = _window(card_images.crop_html((0, 0, 400, 200), (400, 200), "vr-src-1"))
    assert whole["background-size"] == "100.000% 100.000%" and whole["background-position"] == "0.000% 0.000%"
    assert card_images.crop_html((500, 500, 10, 10), (400, 200), "vr-src-1") is None
    assert card_images.picture_size(_jpeg(400, 200)) == (400, 200)
