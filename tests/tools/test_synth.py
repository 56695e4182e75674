"""The synthetic-certificate generator: its truth is what it drew, real-world consistent, and
reproducible; its images are what the truth says they are."""

from __future__ import annotations

import io
import json
import random
import re
from collections import Counter
from datetime import datetime
from functools import lru_cache

import cv2
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from services.domain.canonical import same_value
from services.domain.reference import admin_units, plate_codes
from services.domain.reference.issuers import issuer_province_code
from services.domain.schema import BACK_FIELDS, FRONT_FIELDS, Side, VehicleKind
from tools.synth import generate_card, load_set, render_side, write_set
from tools.synth.capture import DEFAULT_MIX, rotate_quarter
from tools.synth.card import card_np_rng, card_rng, choose_condition
from tools.synth.fonts import (
    FontFace,
    FontSet,
    MissingGlyph,
    label_faces,
    label_families,
    require_glyphs,
    skipped_families,
    value_faces,
    value_families,
)
from tools.synth.layout import choose_style
from tools.synth.values import invent_values

CAR_PLATE = re.compile(r"^\d{2}[A-Z]{1,2}-(\d{4}|\d{3}\.\d{2})$")
BIKE_PLATE = re.compile(r"^\d{2}[A-Z]\d-\d{3}\.\d{2}$")
VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def _date(text: str):
    return datetime.strptime(text, "%d/%m/%Y").date()


@pytest.fixture(scope="module")
def cards():
    """A few small cards covering both kinds, both layouts and every capture condition."""
    return [
        generate_card(101, 0, kind="car", layout="two_column", condition="scan", keep_flat=True),
        generate_card(101, 1, kind="motorbike", layout="one_column", condition="photo", keep_flat=True),
        generate_card(101, 2, kind="car", layout="one_column", condition="hard", keep_flat=True),
        generate_card(101, 3, kind="motorbike", layout="two_column", condition="rotated", keep_flat=True),
    ]


# ---- truth: fields, formats, real-world consistency -----------------------------------------

def test_each_side_has_exactly_the_seed_fields(cards):
    for card in cards:
        assert list(card.sides[Side.FRONT].truth) == [s.name for s in FRONT_FIELDS]
        assert list(card.sides[Side.BACK].truth) == [s.name for s in BACK_FIELDS]


def test_plate_is_in_a_printed_form_and_its_prefix_belongs_to_the_issuing_province(cards):
    for card in cards:
        back = card.sides[Side.BACK].truth
        pattern = CAR_PLATE if card.kind == VehicleKind.CAR else BIKE_PLATE
        assert pattern.match(back["plate"]), back["plate"]
        assert plate_codes.is_valid_plate(back["plate"])
        assert plate_codes.province_of_plate(back["plate"]) == back["issued_at_code"]
        assert issuer_province_code(back["issued_at"]) == back["issued_at_code"]


def test_dates_are_valid_and_in_order(cards):
    for card in cards:
        back = card.sides[Side.BACK].truth
        first, last = _date(back["first_issue_date"]), _date(back["last_issue_date"])
        assert first <= last
        if card.kind == VehicleKind.CAR:
            assert int(back["year_of_manufacture"]) <= first.year


def test_address_codes_are_real_match_the_official_names_and_parse_back_from_the_printed_address(cards):
    for card in cards:
        back = card.sides[Side.BACK].truth
        ward = admin_units.ward(back["address_ward_code"])
        district = admin_units.district(back["address_district_code"])
        province = admin_units.province(back["address_town_code"])
        assert (ward.name, district.name, province.name) == (
            back["address_ward"], back["address_district"], back["address_town"])
        assert ward.district_code == district.code and district.province_code == province.code
        parsed = admin_units.parse_legacy_address(back["address"])
        assert (parsed.province_code, parsed.district_code, parsed.ward_code) == (
            province.code, district.code, ward.code)


def test_engine_and_chassis_use_serial_characters_and_vins_have_no_i_o_q(cards):
    for card in cards:
        back = card.sides[Side.BACK].truth
        assert re.fullmatch(r"[A-Z0-9-]{4,17}", back["engine"]), back["engine"]
        assert re.fullmatch(r"[A-Z0-9]+", back["chassis"]), back["chassis"]
        if card.kind == VehicleKind.MOTORBIKE:
            assert 10 <= len(back["chassis"]) <= 12
        elif int(back["year_of_manufacture"]) >= 2000:
            assert VIN.match(back["chassis"]), back["chassis"]


def test_a_motorbike_has_no_year_seat_or_payload_values_and_a_car_has_seats(cards):
    for card in cards:
        back = card.sides[Side.BACK].truth
        if card.kind == VehicleKind.MOTORBIKE:
            for name in ("year_of_manufacture", "sit", "stand", "lie", "pay_load"):
                assert back[name] == ""
            assert not card.sides[Side.BACK].boxes.keys() & {"sit", "year_of_manufacture", "pay_load"}
        else:
            assert back["sit"] and back["year_of_manufacture"]


def test_front_and_back_agree_on_the_shared_fields_and_the_id_is_digits(cards):
    for card in cards:
        front, back = card.sides[Side.FRONT].truth, card.sides[Side.BACK].truth
        for name in ("name", "address", "plate", "issued_at"):
            assert same_value(name, front[name], back[name])
        assert front["id"].isdigit() and len(front["id"]) in (6, 8)


def test_model_is_the_model_code_row_or_else_the_type_row(cards):
    for card in cards:
        labels = " ".join(item.text for item in card.sides[Side.BACK].flat.layout.items if item.label_of == "model")
        assert card.sides[Side.BACK].truth["model"] == card.values.vehicle.model
        if card.kind == VehicleKind.MOTORBIKE or card.style.model_row:
            assert labels.startswith("Số loại")
        else:
            assert labels.startswith("Loại xe")


def test_every_value_in_the_truth_was_drawn_inside_the_card(cards):
    for card in cards:
        for side, image in card.sides.items():
            width, height = image.card_size
            drawn = {item.field for item in image.flat.layout.items if item.field}
            for name, value in image.truth.items():
                derived = name.startswith("address_") or name == "issued_at_code"
                if value and not derived:
                    assert name in drawn, (side, name)
                    x, y, w, h = image.boxes[name]
                    assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and w > 0 and h > 0
                elif not derived:
                    assert name not in image.boxes


def test_truth_text_is_the_text_placed_for_the_field(cards):
    for card in cards:
        for image in card.sides.values():
            for name in ("name", "address", "plate", "engine", "chassis", "brand", "issued_at"):
                if name not in image.truth:
                    continue
                placed = " ".join(item.text for item in image.flat.layout.items if item.field == name)
                assert " ".join(placed.split()) == image.truth[name]


# ---- fonts ----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _cmap(path: str) -> frozenset[int]:
    """Read independently of the generator's own check."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def test_every_character_drawn_exists_in_the_font_it_was_drawn_with(cards):
    for card in cards:
        for image in card.sides.values():
            assert image.glyphs
            for path, chars in image.glyphs.items():
                mapped = _cmap(path)
                missing = [ch for ch in chars if ord(ch) not in mapped]
                assert not missing, (path, missing)


def test_every_usable_font_family_draws_a_whole_card_with_glyphs_it_has():
    labels, values = label_families(), value_families()
    assert len(labels) >= 4 and len(values) >= 3
    values_for_car = invent_values(random.Random(5), VehicleKind.CAR)
    for i in range(max(len(labels), len(values))):
        label, italic, bold = label_faces(labels[i % len(labels)])
        value, value_bold = value_faces(values[i % len(values)])
        fonts = FontSet(label=label, label_italic=italic, label_bold=bold, value=value, value_bold=value_bold)
        style = choose_style(random.Random(i), fonts, VehicleKind.CAR)
        flat = render_side(values_for_car, style, Side.BACK, random.Random(i), np.random.default_rng(i))
        for path, chars in flat.glyphs.items():
            mapped = _cmap(path)
            assert not [ch for ch in chars if ord(ch) not in mapped], path


def test_a_font_lacking_a_vietnamese_letter_is_refused():
    face = FontFace(path="/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", family="DejaVu Sans Mono",
                    style="regular")
    try:
        _cmap(face.path)
    except FileNotFoundError:
        pytest.skip("DejaVu Sans Mono is not installed")
    with pytest.raises(MissingGlyph):
        require_glyphs(face, "Huyện Thủ Thừa")  # U+1EE7 (ủ) has no glyph in DejaVu Sans Mono
    assert "DejaVu Sans Mono" in skipped_families()
    assert "DejaVu Sans Mono" not in value_families()


# ---- images ---------------------------------------------------------------------------------

def _bandpass(a: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(a, (0, 0), 1.5) - cv2.GaussianBlur(a, (0, 0), 12)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = _bandpass(a), _bandpass(b)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def _unwarped(image, width=320) -> tuple[np.ndarray, np.ndarray]:
    """The card cut out of the captured image by its recorded corners, and the flat render."""
    pixels = np.asarray(Image.open(io.BytesIO(image.image)).convert("L"), dtype=np.float32)
    W, H = image.card_size
    height = int(width * H / W)
    matrix = cv2.getPerspectiveTransform(np.float32(image.corners),
                                         np.float32([[0, 0], [width, 0], [width, height], [0, height]]))
    cut = cv2.warpPerspective(pixels, matrix, (width, height))
    flat = np.asarray(image.flat.image.convert("L").resize((width, height), Image.BILINEAR), dtype=np.float32)
    return cut, flat


def test_images_decode_in_their_format_with_the_stated_size(cards):
    for card in cards:
        for image in card.sides.values():
            decoded = Image.open(io.BytesIO(image.image))
            decoded.load()
            assert decoded.size == tuple(image.image_size)
            assert decoded.format == {"jpg": "JPEG", "png": "PNG"}[image.extension]
            assert tuple(image.card_size) == image.flat.image.size
            assert abs(image.card_size[0] / image.card_size[1] - 1.42) < 0.03


def test_recorded_corners_locate_the_card_in_every_condition(cards):
    for card in cards:
        for image in card.sides.values():
            cut, flat = _unwarped(image)
            assert _correlation(cut, flat) > 0.6, (card.condition, image.side)
            assert _correlation(cut, flat[::-1, ::-1].copy()) < 0.35  # and the wrong way up does not fit


def test_capture_conditions_have_their_documented_quality_and_size(cards):
    by_condition = {card.condition: card for card in cards}
    for image in by_condition["hard"].sides.values():
        assert image.extension == "jpg" and 45 <= image.capture["quality"] <= 60
        top = np.linalg.norm(np.subtract(image.corners[1], image.corners[0]))
        assert 600 <= top <= 960  # the card only 700-900 px wide, give or take perspective
    for image in by_condition["photo"].sides.values():
        assert image.extension == "jpg" and 60 <= image.capture["quality"] <= 85
        assert abs(image.capture["angle_deg"]) <= 15
    for image in by_condition["scan"].sides.values():
        assert image.extension == "png" or image.capture["quality"] >= 88
        assert abs(image.capture["skew_deg"]) <= 1


def test_rotated_condition_really_turns_the_card(cards):
    card = next(c for c in cards if c.condition == "rotated")
    assert card.rotation in (90, 180, 270) and card.base_condition in ("scan", "photo")
    for image in card.sides.values():
        dx, dy = np.subtract(image.corners[1], image.corners[0])  # the card's top edge, left to right
        expected = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[card.rotation]
        direction = np.array([dx, dy]) / np.hypot(dx, dy)
        assert float(direction @ np.array(expected)) > 0.9
        width, height = image.image_size
        if card.rotation in (90, 270) and card.base_condition == "scan":
            assert height > width


def test_quarter_turns_move_points_with_the_pixels():
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    image[0, 5] = 255  # the pixel at x=5, y=0, centre (5.5, 0.5)
    for turn in (90, 180, 270):
        turned, (point,) = rotate_quarter(image, [[5.5, 0.5]], turn)
        ys, xs = np.nonzero(turned[..., 0])
        assert (xs[0] + 0.5, ys[0] + 0.5) == pytest.approx(tuple(point))


# ---- determinism and the set on disk --------------------------------------------------------

def test_the_same_seed_gives_byte_identical_images_and_truth():
    a = generate_card(202, 4, condition="photo", sides=(Side.BACK,))
    b = generate_card(202, 4, condition="photo", sides=(Side.BACK,))
    assert a.record() == b.record()
    assert a.sides[Side.BACK].image == b.sides[Side.BACK].image
    c = generate_card(203, 4, condition="photo", sides=(Side.BACK,))
    assert c.sides[Side.BACK].image != a.sides[Side.BACK].image


def test_overriding_one_choice_leaves_the_others_unchanged():
    scan, hard = generate_card(202, 5, condition="scan", sides=()), generate_card(202, 5, condition="hard", sides=())
    assert scan.values == hard.values and scan.style == hard.style


def test_a_written_set_loads_back_and_card_i_does_not_depend_on_the_others(tmp_path):
    write_set(tmp_path, seed=303, count=2, condition="scan")
    records = load_set(tmp_path)
    assert [r.card_id for r in records] == ["s303-0000", "s303-0001"]
    alone = generate_card(303, 1, condition="scan")
    line = json.loads((tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines()[1])
    assert line == json.loads(json.dumps(alone.record()))
    for side, record in records[1].sides.items():
        assert record.read_bytes() == alone.sides[side].image
        assert record.truth == alone.sides[side].truth
    assert load_set(tmp_path, limit=1)[0].card_id == "s303-0000"


def test_per_card_generators_are_independent_of_order():
    first = [card_rng(1, i).random() for i in range(5)]
    assert [card_rng(1, i).random() for i in reversed(range(5))] == list(reversed(first))
    assert card_np_rng(1, 3, 10).random() == card_np_rng(1, 3, 10).random()


def test_the_default_condition_mix_is_about_30_35_25_10():
    rng = random.Random(0)
    counts = Counter(choose_condition(rng) for _ in range(4000))
    for condition, share in DEFAULT_MIX.items():
        assert abs(counts[condition] / 4000 - share) < 0.03


# ---- invented values at volume (no drawing) -------------------------------------------------

def test_invented_values_hold_the_real_world_constraints_across_many_cards():
    for i in range(300):
        kind = VehicleKind.CAR if i % 2 else VehicleKind.MOTORBIKE
        values = invent_values(card_rng(9, i, "values"), kind)
        assert plate_codes.province_of_plate(values.plate) == values.issuer_province.code
        assert issuer_province_code(values.issuer) == values.issuer_province.code
        assert values.first_issue <= values.last_issue
        if kind == VehicleKind.CAR:
            assert int(values.vehicle.year) <= values.first_issue.year
            assert values.vehicle.sit and values.vehicle.kind == VehicleKind.CAR
            if int(values.vehicle.year) >= 2000:
                assert VIN.match(values.vehicle.chassis)
        else:
            assert not (values.vehicle.year or values.vehicle.sit or values.vehicle.pay_load)
            assert 10 <= len(values.vehicle.chassis) <= 12
        assert len(values.vehicle.engine) <= 17


# ---- the reference data the generator (and the engine) rely on -------------------------------

def test_every_legacy_province_has_plate_prefixes_of_its_own():
    codes = {p.code for p in admin_units.provinces()}
    assert len(codes) == 63 and set(plate_codes.PROVINCE_PLATE_PREFIXES) == codes
    prefixes = [n for ns in plate_codes.PROVINCE_PLATE_PREFIXES.values() for n in ns]
    assert len(prefixes) == len(set(prefixes))
    assert plate_codes.plate_prefixes("01") == (29, 30, 31, 32, 33, 40)
    assert plate_codes.plate_prefixes("79") == (41, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59)
    assert plate_codes.province_of_plate("86C-188.93") == "60"  # Bình Thuận
    assert plate_codes.province_of_plate("80A-123.45") is None  # central agencies, no province


@pytest.mark.parametrize("unit, code", [
    ("Phòng CSGT Công an TP Hà Nội", "01"), ("Công an tỉnh Lâm Đồng", "68"), ("CÔNG AN TP. HỒ CHÍ MINH", "79"),
    ("Công an tỉnh Thừa Thiên Huế", "46"), ("Công an huyện Củ Chi", "79"), ("Công an huyện Hòa Bình", "95"),
    ("Công an huyện Châu Thành", None),  # a dozen provinces have one
])
def test_the_province_of_an_issuing_unit_is_found_in_its_name(unit, code):
    assert issuer_province_code(unit) == code


def test_administrative_units_carry_official_names_and_gso_codes():
    assert admin_units.province("01").name == "Thành phố Hà Nội"
    assert admin_units.district("006").name == "Quận Đống Đa"
    ward = admin_units.ward("00199")
    assert (ward.name, ward.short_name, ward.district_code, ward.province_code) == (
        "Phường Láng Hạ", "Láng Hạ", "006", "01")
    parsed = admin_units.parse_legacy_address("Số 12 Ngõ 5, P. Láng Hạ, Q. Đống Đa, TP Hà Nội")
    assert (parsed.province_code, parsed.district_code, parsed.ward_code) == ("01", "006", "00199")
