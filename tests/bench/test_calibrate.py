"""bench/calibrate.py: how engine readings become calibration samples, the reliability figures,
and the saved model (with engine readings stubbed: the engine itself is tested elsewhere)."""

from __future__ import annotations

import io
import json
import random

import pytest

from bench.calibrate import (
    SideResult,
    Task,
    expected_calibration_error,
    fit_and_save,
    reliability,
    samples_of,
)
from services.domain.schema import Side
from services.extraction.confidence import FEATURE_NAMES, ConfidenceModel, Evidence

SURE = Evidence(conf_mean=0.95, conf_min=0.9, margin_min=0.8, margin_mean=0.9, agree=1.0, check_ok=1.0,
                label_score=1.0, align_score=0.9)
DOUBTFUL = Evidence(conf_mean=0.4, conf_min=0.2, margin_min=0.05, agree=0.0, check_ok=0.0, corrections=2.0,
                    label_score=0.7, align_score=0.5)
TRUTH = {"name": "NGUYỄN VĂN AN", "plate": "30A-123.45", "sit": "05", "first_issue_date": "05/06/2012"}


def result(side: Side, detected, values: dict[str, str], evidence: dict[str, Evidence]) -> SideResult:
    return SideResult(Task("s7-0000", "scan", side, "/nowhere.jpg", TRUTH), detected, values, evidence)


def test_a_field_is_right_when_its_canonical_value_equals_the_truth() -> None:
    values = {"name": "Nguyễn Văn An", "plate": "30A12345", "sit": "5", "first_issue_date": "5/6/2012"}
    evidence = {name: SURE for name in values}
    labels = {name: right for name, _, right in samples_of(result(Side.BACK, Side.BACK, values, evidence))}
    assert labels == {"name": True, "plate": True, "sit": True, "first_issue_date": True}
    values["plate"] = "30A-123.46"
    labels = {name: right for name, _, right in samples_of(result(Side.BACK, Side.BACK, values, evidence))}
    assert labels["plate"] is False and labels["name"] is True


def test_a_side_read_as_the_other_side_makes_every_field_wrong() -> None:
    values = {"name": TRUTH["name"], "plate": TRUTH["plate"]}
    samples = samples_of(result(Side.BACK, Side.FRONT, values, {name: SURE for name in values}))
    assert [right for _, _, right in samples] == [False, False]


def test_a_refused_image_gives_no_samples() -> None:
    assert samples_of(result(Side.FRONT, None, {}, {})) == []


def test_reliability_bins_predicted_confidence_against_accuracy() -> None:
    predicted = [0.05, 0.05, 0.95, 0.95, 1.0]
    right = [False, True, True, True, True]
    rows = reliability(predicted, right)
    assert len(rows) == 10
    assert rows[0][2:] == (2, pytest.approx(0.05), 0.5)
    assert rows[9][2:] == (3, pytest.approx((0.95 + 0.95 + 1.0) / 3), 1.0)
    assert all(row[2] == 0 for row in rows[1:9])
    assert expected_calibration_error(predicted, right) == pytest.approx((2 * 0.45 + 3 * abs(2.9 / 3 - 1)) / 5)
    assert expected_calibration_error([], []) == 0.0


def test_the_fitted_model_is_saved_with_the_sets_description_and_loads(tmp_path) -> None:
    rng = random.Random(4)
    results = []
    for index in range(80):
        right = rng.random() < 0.7
        evidence = SURE if right else DOUBTFUL
        values = {"name": TRUTH["name"] if right else "NGUYỄN VĂN ANH", "plate": TRUTH["plate"] if right else "30A"}
        results.append(result(Side.BACK, Side.BACK, values, {"name": evidence, "plate": evidence}))
    results.append(result(Side.FRONT, None, {}, {}))
    path = tmp_path / "calibration.json"
    out = io.StringIO()
    model, figures = fit_and_save(results, path, {"seed": 7, "n": 40}, out=out)
    assert figures["auroc_after"] == pytest.approx(1.0) and figures["auroc_before"] == pytest.approx(1.0)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["features"] == FEATURE_NAMES
    meta = saved["meta"]
    assert (meta["seed"], meta["n"]) == (7, 40) and meta["date"]
    assert meta["counts"]["sides"] == 81 and meta["counts"]["skipped"] == 1 and meta["counts"]["samples"] == 160
    assert meta["per_field"] == {"name": 80, "plate": 80}
    assert set(meta["fitted_fields"]) == {"name", "plate"}
    loaded = ConfidenceModel.load(path)
    assert loaded.predict("name", SURE) > 0.8 > 0.2 > loaded.predict("name", DOUBTFUL)
    printed = out.getvalue()
    assert "In-sample AUROC" in printed and "Reliability, fitted model" in printed and "Skipped 1 sides" in printed
