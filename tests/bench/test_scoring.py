"""Benchmark scoring: perfect answers score perfectly; planted errors give the figures computed by hand."""

from __future__ import annotations

import io

import pytest

from bench.accuracy import print_report, summary_pairs
from bench.scoring import (
    Report,
    auroc,
    by_condition,
    by_field,
    character_error_rate,
    documents_all_right,
    percentile,
    score_field,
    score_side,
    threshold_table,
)
from services.domain.results import FieldReading, SideReading
from services.domain.schema import BACK_FIELDS, FRONT_FIELDS, Side

FRONT_TRUTH = {
    "name": "NGUYỄN VĂN AN",
    "address": "Số 12 Ngõ 5, P. Láng Hạ, Q. Đống Đa, TP Hà Nội",
    "id": "49010012",
    "plate": "30A-123.45",
    "issued_at": "Phòng CSGT Công an TP Hà Nội",
}
BACK_TRUTH = {
    **{k: v for k, v in FRONT_TRUTH.items() if k != "id"},
    "address_town_code": "01",
    "address_district_code": "006",
    "address_ward_code": "00199",
    "address_town": "Thành phố Hà Nội",
    "address_district": "Quận Đống Đa",
    "address_ward": "Phường Láng Hạ",
    "engine": "2NZ1234567",
    "chassis": "RL4BT9F35K1234567",
    "brand": "TOYOTA",
    "model": "VIOS",
    "color": "Bạc",
    "capacity": "1.497",
    "issued_at_code": "01",
    "last_issue_date": "08/01/2019",
    "first_issue_date": "22/05/2018",
    "pay_load": "",
    "year_of_manufacture": "2018",
    "lie": "",
    "sit": "05",
    "stand": "",
}
N_FRONT, N_BACK = len(FRONT_FIELDS), len(BACK_FIELDS)
N_BACK_CONF = sum(1 for spec in BACK_FIELDS if spec.has_confidence)


def reading(side: Side, values: dict[str, str], confidence: float = 0.99,
            confidences: dict[str, float] | None = None) -> SideReading:
    fields = SideReading(side=side)
    specs = FRONT_FIELDS if side == Side.FRONT else BACK_FIELDS
    for spec in specs:
        conf = (confidences or {}).get(spec.name, confidence) if spec.has_confidence else None
        fields.fields[spec.name] = FieldReading(name=spec.name, value=values.get(spec.name, ""), confidence=conf)
    return fields


def perfect_report() -> Report:
    report = Report(scores=[], seconds=[0.2, 0.4, 0.3, 0.5])
    for card, condition in (("c1", "scan"), ("c2", "photo")):
        report.scores += score_side(FRONT_TRUTH, reading(Side.FRONT, FRONT_TRUTH), Side.FRONT, card_id=card,
                                    condition=condition)
        report.scores += score_side(BACK_TRUTH, reading(Side.BACK, BACK_TRUTH), Side.BACK, card_id=card,
                                    condition=condition)
    return report


# ---- perfect answers ------------------------------------------------------------------------

def test_perfect_answers_score_one_everywhere():
    report = perfect_report()
    assert report.overall.accuracy == 1.0
    assert report.overall.accuracy_nonempty == 1.0
    assert report.overall.cer == 0.0
    assert all(row.accuracy == 1.0 for row in report.fields.values())
    assert all(row.accuracy == 1.0 for row in report.conditions.values())
    assert all(row.accuracy == 1.0 for row in report.sides.values())
    assert report.documents_all_right == 1.0
    assert report.auroc == 1.0
    for row in report.thresholds:
        assert row.caught == 1.0
        assert row.flagged == 0.0  # every confidence is 0.99, above every threshold
        assert row.accepted_accuracy == 1.0


def test_perfect_answers_written_differently_still_score_one():
    written = dict(BACK_TRUTH, plate="30A12345", first_issue_date="ngày 22 tháng 5 năm 2018", sit="5",
                   capacity="1497", address_ward_code="199", name="nguyễn  văn an")
    scores = score_side(BACK_TRUTH, reading(Side.BACK, written), Side.BACK)
    assert all(s.correct for s in scores)


def test_perfect_summary_line_says_one_and_ends_the_report():
    out = io.StringIO()
    line = print_report(perfect_report(), "test", 2, out=out)
    assert out.getvalue().rstrip().splitlines()[-1] == line
    assert line.startswith("SUMMARY ")
    pairs = dict(part.split("=", 1) for part in line.split()[1:])
    assert pairs["field_acc"] == "1.000" and pairs["cards_all_right"] == "1.000" and pairs["auroc"] == "1.000"
    assert pairs["acc_scan"] == "1.000" and pairs["acc_photo"] == "1.000" and pairs["acc_back"] == "1.000"
    assert pairs["cer"] == "0.000" and pairs["caught@0.9"] == "1.000" and pairs["flagged@0.95"] == "0.000"
    assert pairs["median_s"] == "0.350" and pairs["p95_s"] == "0.485"


# ---- planted errors -------------------------------------------------------------------------

def test_planted_errors_give_the_hand_computed_figures():
    # Card c1 perfect. Card c2's back: plate off by one digit (confidence 0.4) and a tone mark
    # wrong in the name (confidence 0.95, the dangerous kind); everything else right at 0.9.
    report = Report(scores=[])
    report.scores += score_side(FRONT_TRUTH, reading(Side.FRONT, FRONT_TRUTH, 0.9), Side.FRONT, card_id="c1",
                                condition="scan")
    report.scores += score_side(BACK_TRUTH, reading(Side.BACK, BACK_TRUTH, 0.9), Side.BACK, card_id="c1",
                                condition="scan")
    planted = dict(BACK_TRUTH, plate="30A-123.46", name="NGUYẾN VĂN AN")
    report.scores += score_side(BACK_TRUTH, reading(Side.BACK, planted, 0.9, {"plate": 0.4, "name": 0.95}),
                                Side.BACK, card_id="c2", condition="photo")
    n = N_FRONT + 2 * N_BACK
    assert report.overall.accuracy == pytest.approx((n - 2) / n)
    assert report.conditions["scan"].accuracy == 1.0
    assert report.conditions["photo"].accuracy == pytest.approx((N_BACK - 2) / N_BACK)
    assert report.fields["back.plate"].accuracy == 0.5
    # Plate: canonical 30A12345 vs 30A12346, one edit in 8 characters, twice (one right).
    assert report.fields["back.plate"].cer == pytest.approx(1 / 16)
    assert report.fields["back.name"].cer == pytest.approx(1 / (2 * len("nguyễn văn an")))
    assert report.documents_all_right == 0.5
    # Right fields all sit at 0.9: each is above the 0.4 wrong field and below the 0.95 one.
    assert report.auroc == pytest.approx(0.5)
    rows = {row.threshold: row for row in report.thresholds}
    n_conf = N_FRONT + 2 * N_BACK_CONF
    assert rows[0.5].flagged == pytest.approx(1 / n_conf) and rows[0.5].caught == 0.5
    assert rows[0.95].flagged == pytest.approx((n_conf - 1) / n_conf) and rows[0.95].caught == 0.5
    assert rows[0.95].accepted_accuracy == 0.0  # only the confident wrong name gets through


def test_a_reading_of_the_other_side_makes_every_field_wrong():
    back_as_front = reading(Side.FRONT, FRONT_TRUTH)
    scores = score_side(BACK_TRUTH, back_as_front, Side.BACK)
    assert len(scores) == N_BACK
    assert not any(s.correct for s in scores)
    # The name was read right but on the wrong side: still an error, and CER agrees.
    name = next(s for s in scores if s.field == "name")
    assert name.predicted == FRONT_TRUTH["name"] and name.distance > 0


def test_a_failed_extraction_makes_every_field_wrong_with_zero_confidence():
    scores = score_side(FRONT_TRUTH, None, Side.FRONT)
    assert [s.correct for s in scores] == [False] * N_FRONT
    assert {s.confidence for s in scores} == {0.0}
    assert character_error_rate(scores) == 1.0


def test_an_empty_field_read_as_empty_is_right_and_text_in_it_is_wrong():
    assert score_field("sit", "", "").correct
    wrong = score_field("sit", "", "..")
    assert not wrong.correct and wrong.distance == 2 and wrong.truth_length == 0
    assert character_error_rate([wrong]) is None  # no truth characters: no rate of its own
    assert character_error_rate([wrong, score_field("plate", "30A-123.45", "30A-123.45")]) == pytest.approx(2 / 8)


def test_derived_fields_count_in_accuracy_but_not_in_confidence_figures():
    scores = score_side(BACK_TRUTH, reading(Side.BACK, dict(BACK_TRUTH, address_ward_code="00200")), Side.BACK)
    ward = next(s for s in scores if s.field == "address_ward_code")
    assert ward.confidence is None and not ward.correct
    report = Report(scores=scores)
    assert report.overall.accuracy == pytest.approx((N_BACK - 1) / N_BACK)
    assert report.auroc == 1.0  # the only wrong field has no confidence, so every scored one is right


def test_accuracy_on_nonempty_truth_ignores_empty_fields():
    scores = score_side(BACK_TRUTH, reading(Side.BACK, dict(BACK_TRUTH, sit="", stand="7")), Side.BACK)
    rows = by_field(scores)
    assert rows["back.sit"].accuracy == 0.0 and rows["back.sit"].accuracy_nonempty == 0.0
    assert rows["back.stand"].accuracy == 0.0 and rows["back.stand"].accuracy_nonempty is None
    assert rows["back.stand"].n_nonempty == 0


def test_groups_by_condition_and_documents():
    a = score_side(FRONT_TRUTH, reading(Side.FRONT, FRONT_TRUTH), Side.FRONT, card_id="a", condition="hard")
    b = score_side(FRONT_TRUTH, reading(Side.FRONT, dict(FRONT_TRUTH, id="1")), Side.FRONT, card_id="b",
                   condition="hard")
    c = score_side(FRONT_TRUTH, reading(Side.FRONT, FRONT_TRUTH), Side.FRONT, card_id="c", condition="rotated")
    assert by_condition(a + b + c)["hard"].accuracy == pytest.approx((2 * N_FRONT - 1) / (2 * N_FRONT))
    assert by_condition(a + b + c)["rotated"].accuracy == 1.0
    assert documents_all_right(a + b + c) == pytest.approx(2 / 3)


# ---- AUROC, thresholds, percentiles ---------------------------------------------------------

@pytest.mark.parametrize("confidences, correct, expected", [
    ([0.9, 0.1], [True, False], 1.0),
    ([0.1, 0.9], [True, False], 0.0),
    ([0.5, 0.5], [True, False], 0.5),
    ([0.9, 0.8, 0.8, 0.3], [True, True, False, False], 0.875),  # one tied pair counts half: 3.5 / 4
    ([0.2, 0.2, 0.2], [True, False, True], 0.5),
    ([0.7, 0.6, 0.9], [True, True, True], 1.0),  # nothing wrong to mis-rank
    ([0.7, 0.6], [False, False], 0.5),  # nothing right: confidence separates nothing
])
def test_auroc_counts_right_over_wrong_pairs_with_ties_as_half(confidences, correct, expected):
    assert auroc(confidences, correct) == pytest.approx(expected)


def test_threshold_table_flags_below_the_threshold():
    rows = {row.threshold: row for row in threshold_table([0.4, 0.6, 0.85, 0.99], [False, True, False, True])}
    assert rows[0.5].flagged == 0.25 and rows[0.5].caught == 0.5 and rows[0.5].accepted_accuracy == pytest.approx(2 / 3)
    assert rows[0.7].flagged == 0.5 and rows[0.7].caught == 0.5 and rows[0.7].accepted_accuracy == 0.5
    assert rows[0.9].flagged == 0.75 and rows[0.9].caught == 1.0 and rows[0.9].accepted_accuracy == 1.0
    assert rows[0.95].flagged == 0.75  # 0.99 stays above the highest threshold


def test_a_confidence_equal_to_the_threshold_is_not_flagged():
    (row,) = threshold_table([0.9, 0.5], [True, False], thresholds=(0.9,))
    assert row.flagged == 0.5 and row.caught == 1.0


def test_percentiles_interpolate_linearly():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None


def test_summary_pairs_include_every_headline_figure():
    keys = dict(summary_pairs(perfect_report(), "x", 2))
    for key in ("field_acc", "field_acc_nonempty", "cer", "cards_all_right", "acc_scan", "acc_photo", "acc_front",
                "acc_back", "auroc", "median_s", "p95_s", "max_s", "errors", "wrong_side"):
        assert key in keys
    for t in ("0.5", "0.7", "0.8", "0.9", "0.95"):
        assert f"flagged@{t}" in keys and f"caught@{t}" in keys


def test_benchmark_run_scores_a_generated_set_and_records_peak_memory(tmp_path):
    from bench.accuracy import run
    from services.domain.results import ExtractionOutcome
    from tools.synth.dataset import load_set, write_set

    write_set(tmp_path, seed=5, count=1)
    cards = load_set(tmp_path)
    answers = {record.read_bytes(): (side, record.truth) for card in cards for side, record in card.sides.items()}

    class TruthEcho:
        """Answers every image with the truth drawn on it: the benchmark must then score 1.0."""
        def extract(self, images, *, thumb=False):
            side, truth = answers[images[0]]
            return ExtractionOutcome(sides=[reading(side, truth)])

    report = run(cards, TruthEcho(), progress=False)
    assert report.overall.accuracy == 1.0
    assert report.errors == 0 and report.wrong_side == 0
    assert len(report.seconds) == 2
    assert report.peak_rss_mb is not None and report.peak_rss_mb > 10
    assert report.peak_rss_100_cards_mb is None  # fewer than 100 cards were read
    assert dict(summary_pairs(report, "echo", 1))["peak_rss_mb"] != "-"
    # Each side read is timed with its fields right, for the slowest-sides list.
    assert [(t.card_id, t.right == t.fields) for t in report.timed] == [(cards[0].card_id, True)] * 2


def test_the_report_names_the_slowest_sides_with_the_engines_stages():
    from bench.scoring import TimedSide

    report = perfect_report()
    report.timed = [TimedSide("c1", "front", "scan", 0.4, {"align": 0.1, "read": 0.2, "fields": 0.1}, 5, 5),
                    TimedSide("c2", "back", "hard", 9.1, {"align": 2.0, "read": 6.0, "cut_short": 1.0}, 3, 29),
                    TimedSide("c2", "front", "hard", 1.0, {}, 0, 5)]
    assert [t.seconds for t in report.slowest(2)] == [9.1, 1.0]
    out = io.StringIO()
    print_report(report, "x", 2, out=out)
    text = out.getvalue()
    assert "9.10 s  c2 back (hard): align 2.00, read 6.00, cut short by the budget; 3 of 29 right" in text
    assert "c2 front (hard): no reading; 0 of 5 right" in text


def test_a_side_is_read_upright_when_the_corner_taken_for_top_left_is_the_true_one() -> None:
    from bench.scoring import read_upright

    truth = [[10, 10], [110, 12], [108, 70], [8, 68]]
    assert read_upright([(12, 9), (109, 11), (107, 71), (9, 67)], truth) is True
    # Read upside down: its top left is the true bottom right.
    assert read_upright([(108, 70), (8, 68), (10, 10), (110, 12)], truth) is False
    # Read a quarter turn off.
    assert read_upright([(8, 68), (10, 10), (110, 12), (108, 70)], truth) is False
    assert read_upright(None, truth) is None


def test_the_report_names_the_sides_read_the_wrong_way_up():
    report = perfect_report()
    report.oriented, report.wrong_way_up, report.wrong_way_sides = 4, 1, ["c2 back (rotated)"]
    out = io.StringIO()
    line = print_report(report, "x", 2, out=out)
    assert "Read the wrong way up: 1 of 4 sides: c2 back (rotated)" in out.getvalue()
    assert "wrong_way_up=1/4" in line
