"""The confidence model (services.extraction.confidence): logistic models fitted on evidence, saved
and loaded, and a safe fallback when a saved model does not fit the evidence the engine gathers."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import numpy as np
import pytest

from services.extraction.confidence import (
    FEATURE_NAMES,
    ConfidenceModel,
    Evidence,
    evidence_dict,
    fit_logistic,
    fit_model,
)

GOOD = Evidence(conf_mean=0.95, conf_min=0.9, margin_min=0.8, margin_mean=0.9, agree=1.0, check_ok=1.0,
                label_score=1.0, match_score=1.0, align_score=0.9, length=0.5)
BAD = Evidence(conf_mean=0.45, conf_min=0.2, margin_min=0.05, margin_mean=0.3, agree=0.0, check_ok=0.0,
               corrections=3.0, label_score=0.7, match_score=0.6, align_score=0.5, length=0.4)


def test_fit_logistic_recovers_a_separable_toy_problem() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, size=(400, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0.2).astype(float)
    X = np.column_stack([np.ones(len(x)), x])
    w = fit_logistic(X, y, l2=0.1)
    predicted = 1 / (1 + np.exp(-(X @ w))) > 0.5
    assert (predicted == y.astype(bool)).mean() >= 0.98
    # The boundary's direction is recovered: x1 counts for, x2 against, about twice as much.
    assert w[1] > 0 > w[2]
    assert w[1] / -w[2] == pytest.approx(2.0, rel=0.35)


def test_fit_logistic_is_regularised_on_perfectly_separated_data() -> None:
    X = np.array([[1.0, -1.0], [1.0, -0.5], [1.0, 0.5], [1.0, 1.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    w = fit_logistic(X, y, l2=1.0)
    assert np.all(np.isfinite(w)) and w[1] > 0


def test_the_hand_set_model_ranks_a_good_reading_above_a_bad_one() -> None:
    model = ConfidenceModel({})
    good, bad = model.predict("name", GOOD), model.predict("name", BAD)
    assert 0.0 <= bad < good <= 1.0
    assert good > 0.8 and bad < 0.3


def test_an_absence_the_cards_kind_makes_certain_is_confident() -> None:
    absent = Evidence(empty=1.0, absent_expected=1.0, check_ok=1.0, align_score=0.9)
    unread = Evidence(empty=1.0, absent_expected=0.0, check_ok=0.0, align_score=0.9)
    model = ConfidenceModel({})
    assert model.predict("sit", absent) > 0.8 > 0.2 > model.predict("sit", unread)


def test_evidence_vector_matches_the_feature_names() -> None:
    vector = GOOD.vector()
    assert len(vector) == len(FEATURE_NAMES) == len(fields(Evidence)) + 3
    assert vector[0] == 1.0 and FEATURE_NAMES[0] == "bias"
    assert set(evidence_dict(GOOD)) == set(FEATURE_NAMES[1:-2])


def test_the_interactions_tell_a_voted_blank_and_a_split_vote_apart() -> None:
    voted_blank = Evidence(empty=1.0, agree=0.8).vector()
    unseen_blank = Evidence(empty=1.0, agree=0.0).vector()
    split_value = Evidence(agree=0.25).vector()
    agreed_value = Evidence(agree=1.0).vector()
    empty_voted, split = FEATURE_NAMES.index("empty_voted"), FEATURE_NAMES.index("split")
    assert voted_blank[empty_voted] == pytest.approx(0.8) and unseen_blank[empty_voted] == 0.0
    assert split_value[split] == pytest.approx(0.75 ** 2) and agreed_value[split] == 0.0
    assert voted_blank[split] == 0.0  # a blank's vote is not a split over a value


def samples(n: int, rng: np.random.Generator, field: str) -> list[tuple[str, Evidence, bool]]:
    out = []
    for _ in range(n):
        right = bool(rng.random() < 0.7)
        base = GOOD if right else BAD
        jitter = float(rng.normal(0, 0.05))
        out.append((field, replace(base, conf_mean=min(1.0, max(0.0, base.conf_mean + jitter))), right))
    return out


def test_fit_model_fits_fields_with_enough_examples_and_shares_a_model_for_the_rest() -> None:
    rng = np.random.default_rng(5)
    data = samples(120, rng, "name") + samples(20, rng, "plate") + [("sit", GOOD, True)] * 80
    model = fit_model(data, min_per_field=60, l2=1.0)
    assert set(model.weights) == {"name"}  # plate: too few; sit: never wrong
    for field in ("name", "plate", "sit"):
        assert model.predict(field, GOOD) > 0.9 and model.predict(field, BAD) < 0.1


def test_a_field_seen_wrong_only_a_few_times_does_not_learn_that_it_is_always_right() -> None:
    # "lie": 150 good readings and 3 bad ones; the bad ones look like the other fields' bad ones.
    rng = np.random.default_rng(6)
    data = samples(200, rng, "name") + [("lie", GOOD, True)] * 150 + [("lie", BAD, False)] * 3
    model = fit_model(data, min_per_field=60, min_wrong=12)
    assert "lie" not in model.weights
    assert model.predict("lie", BAD) < 0.1


def test_fit_model_without_samples_is_the_hand_set_model() -> None:
    model = fit_model([])
    assert model.weights == {} and model.predict("name", GOOD) == ConfidenceModel({}).predict("name", GOOD)


def test_a_saved_model_loads_back_the_same(tmp_path) -> None:
    rng = np.random.default_rng(9)
    model = fit_model(samples(100, rng, "name") + samples(100, rng, "address"), min_per_field=60)
    path = tmp_path / "calibration.json"
    model.save(path, meta={"seed": 7, "n": 120})
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["features"] == FEATURE_NAMES and data["meta"] == {"seed": 7, "n": 120}
    loaded = ConfidenceModel.load(path)
    assert set(loaded.weights) == set(model.weights)
    for field in ("name", "address", "plate"):
        for evidence in (GOOD, BAD):
            assert loaded.predict(field, evidence) == pytest.approx(model.predict(field, evidence), abs=1e-5)


def test_a_model_fitted_on_other_features_falls_back_to_the_hand_set_one(tmp_path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"features": FEATURE_NAMES[:-1], "weights": {"name": [9.0] * (len(FEATURE_NAMES) - 1)},
                                "default": [9.0] * (len(FEATURE_NAMES) - 1)}), encoding="utf-8")
    loaded = ConfidenceModel.load(path)
    assert loaded.weights == {}
    assert loaded.predict("name", BAD) == ConfidenceModel({}).predict("name", BAD)


def test_no_calibration_file_means_the_hand_set_model(tmp_path) -> None:
    loaded = ConfidenceModel.load(tmp_path / "absent.json")
    assert loaded.weights == {} and loaded.predict("plate", GOOD) == ConfidenceModel({}).predict("plate", GOOD)
