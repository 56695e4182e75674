"""The held-out layout family (tests/support/engine.py: seed 11, four scans, each side sent
alone; `tools.synth --family alt`: labels worded otherwise, values below their labels, rows in
another order, the date line and seal elsewhere). The engine was not built on it, so these floors
measure how fields are found by label and pattern on a layout it has not seen; they sit a little
below what it measured and rise as field finding improves, never fall to let a change pass.

Measured 2026-12-02, 8 sides, 116 fields: 0.603 (70 right), plates 7 of 8; before plates were
found by their pattern (locate_plate_by_pattern) 0.560 (65), plates 2 of 8. Later that day, on
another machine (its OCR reads a few words differently: the same code gave 0.586, plates 6):
0.655 (76), with addresses and owners' names found by their pattern where their label is not
(locate_address_by_pattern, locate_name_by_pattern) and a plate behind a stray mark. Most misses
were values left empty: a label worded otherwise was not found. Later still: 0.802 (93), with
labels found by their words before their colon (abbreviations, other word orders, synonyms) and
serials by their values; the misses left are the issuing unit under the seal and the date line.
"""

from __future__ import annotations

import pytest

from bench.scoring import field_row
from services.core.config import Settings
from tests.extraction.test_regression import misses, scores
from tests.support.engine import layout_family_runs

pytestmark = pytest.mark.slow  # 8 sides: about half a minute on the shared 2-core machine

# 4 fields below the measurement: 0.871 (101 of 116) on 2026-12-04, later (0.845 before).
FLOOR = 0.84
PLATES_FLOOR = 7


def test_field_accuracy_on_the_held_out_layout_family_stays_above_its_floor() -> None:
    items = scores(layout_family_runs())
    accuracy = field_row(items).accuracy
    assert accuracy is not None and accuracy >= FLOOR, (
        f"alt family scans: field accuracy {accuracy:.3f} < floor {FLOOR:.3f}; wrong fields:\n{misses(items)}")


def test_plates_are_found_by_their_pattern_where_their_label_is_worded_otherwise() -> None:
    plates = [s for s in scores(layout_family_runs()) if s.field == "plate"]
    assert len(plates) == 8 and sum(s.correct for s in plates) >= PLATES_FLOOR, misses(plates)


def test_every_value_left_empty_on_the_held_out_layout_family_is_sent_to_the_reviewer() -> None:
    # A field whose label was not found must be below the review threshold, not pass as read.
    threshold = Settings().default_threshold
    confident_empties = [f"{run.describe()} {name}: {reading.confidence:.2f}"
                         for run in layout_family_runs() if run.reading is not None
                         for name, reading in run.reading.fields.items()
                         if run.truth.get(name) and not reading.value and (reading.confidence or 0) >= threshold]
    assert not confident_empties, "\n".join(confident_empties)
