"""Regression: the engine on a small fixed generated set (tests/support/engine.py: seed 11, eight
cards, one per condition x kind x layout, scans and photos, each side sent alone) keeps its field
accuracy above floors set a little below what it measured, so a change that makes it read worse
fails CI. Fields are scored as bench/accuracy.py scores them (canonical match, derived fields
included, an error or the wrong side makes every field of that side wrong).

Measured 2026-12-02 with the trained recogniser (model step3000), 16 sides, 232 fields (before,
Tesseract alone, 2026-11-25: 0.836 / 0.767 / 0.802):
    scan   0.853 (99/116 fields right)
    photo  0.810 (94/116)
    all    0.832 (193/232)
Floors sit 2-4 fields below (a field is 0.9 % of a condition). Raise them when the engine gets
better; never lower them to make a change pass.
"""

from __future__ import annotations

import pytest

from bench.scoring import FieldScore, field_row, score_side
from services.domain.schema import validate_item
from tests.support.engine import SideRun, regression_runs

pytestmark = pytest.mark.slow  # 16 sides: about 1-2 minutes on the shared 2-core machine

# Measured 2026-12-04, later (cards filling a scan, leader rows, wrapped values): scans 0.974
# (113/116), photos 0.862 (100/116), all 0.918; earlier that day 0.966 / 0.853 / 0.909, on
# 2026-12-03 0.862 / 0.845 / 0.853. Floors a few fields below.
FLOORS = {"scan": 0.95, "photo": 0.84}
OVERALL_FLOOR = 0.90


def scores(runs: tuple[SideRun, ...]) -> list[FieldScore]:
    out: list[FieldScore] = []
    for run in runs:
        out += score_side(run.truth, run.reading, run.side, card_id=run.card_id, condition=run.condition)
    return out


def misses(items: list[FieldScore]) -> str:
    return "\n".join(f"  {s.card_id} {s.side}.{s.field}: {s.predicted!r} (truth {s.truth!r})"
                     for s in items if not s.correct)


@pytest.mark.parametrize("condition", sorted(FLOORS))
def test_field_accuracy_per_condition_stays_above_its_floor(condition: str) -> None:
    items = [s for s in scores(regression_runs()) if s.condition == condition]
    accuracy = field_row(items).accuracy
    assert accuracy is not None and accuracy >= FLOORS[condition], (
        f"{condition}: field accuracy {accuracy:.3f} < floor {FLOORS[condition]:.3f}; wrong fields:\n{misses(items)}")


def test_overall_field_accuracy_stays_above_its_floor() -> None:
    items = scores(regression_runs())
    accuracy = field_row(items).accuracy
    assert accuracy is not None and accuracy >= OVERALL_FLOOR, f"overall {accuracy:.3f} < {OVERALL_FLOOR:.3f}"


def test_every_side_is_read_and_detected_as_the_side_it_is() -> None:
    wrong = [f"{run.describe()}: {run.outcome.detail or run.reading.side.value}" for run in regression_runs()
             if run.reading is None or run.reading.side != run.side]
    assert not wrong, "\n".join(wrong)


def test_every_answer_is_a_complete_seed_answer() -> None:
    for run in regression_runs():
        response = run.outcome.to_seed(thumb=True)
        assert response.errorCode == "0", run.describe()
        (item,) = response.data
        validate_item(item)
        assert item.info["image"], f"{run.describe()}: no aligned card in the answer"


def test_confidences_are_probabilities_and_derived_fields_carry_none() -> None:
    for run in regression_runs():
        if run.reading is None:
            continue
        for name, field in run.reading.fields.items():
            if name.endswith("_code") or name in ("address_town", "address_district", "address_ward"):
                assert field.confidence is None, (run.describe(), name)
            else:
                assert field.confidence is not None and 0.0 <= field.confidence <= 1.0, (run.describe(), name)
