"""Figures for leads, on SQLite and PostgreSQL: per-day counts, throughput, correction rates and
the confidence bins that show whether thresholds are set well."""

from __future__ import annotations

from datetime import datetime, timezone

from db.session import Database
from services.domain.people import Role
from services.review.figures import FiguresService, Window
from tests.support.factories import extracted_document, make_user, review_service


def approve(database: Database, reviewer, document_id: int, changes: dict) -> None:
    review = review_service(database)
    review.claim(reviewer, document_id)
    review.approve(reviewer, document_id, review.view(document_id).version, changes)


def test_figures_count_documents_reviews_and_corrections(database: Database) -> None:
    rita = make_user(database, "rita", Role.REVIEWER)
    # Three documents: plate read at 0.42, 0.97 and 0.99; the unsure one gets its plate corrected.
    unsure = extracted_document(database, confidences={"plate": 0.42})
    sure = extracted_document(database, confidences={"plate": 0.97})
    extracted_document(database, confidences={"plate": 0.99})  # still waiting
    approve(database, rita, unsure, {("back", "plate"): "29B1-999.99"})
    approve(database, rita, sure, {})
    figures = FiguresService(database)
    window = Window.last_days(7)
    today = datetime.now(timezone.utc).date()

    per_day = {(c.day, c.key): c.count for c in figures.documents_per_day(window)}
    assert per_day == {(today, "approved"): 2, (today, "needs_review"): 1}
    assert [(c.day, c.key, c.count) for c in figures.reviewer_throughput(window)] == [(today, "rita", 2)]

    rates = {r.name: (r.reviewed, r.corrected) for r in figures.correction_rates(window)}
    assert rates["plate"] == (2, 1)
    assert rates["name"] == (2, 0)

    bins = {(b.lower, b.name): (b.fields, b.corrected) for b in figures.confidence_bins(window, per_field=True)}
    assert bins[(0.4, "plate")] == (1, 1)
    assert bins[(0.95, "plate")] == (1, 0)
    overall = {b.lower: b.fields for b in figures.confidence_bins(window)}
    assert overall[0.4] == 1 and sum(overall.values()) == 2 * len(rates)


def test_a_threshold_whose_values_are_often_corrected_above_it_is_flagged(database: Database) -> None:
    rita = make_user(database, "rita", Role.REVIEWER)
    for index in range(4):
        document_id = extracted_document(database, confidences={"plate": 0.9})
        approve(database, rita, document_id, {("back", "plate"): f"29B1-999.9{index}"})
    figures = FiguresService(database)
    advice = figures.threshold_advice(Window.last_days(7), {"plate": 0.85}, 0.8, min_fields=3)
    assert [(a.name, a.above_fields, a.above_corrected) for a in advice] == [("plate", 4, 4)]
    # With the plate's threshold above what the engine reported, nothing is flagged.
    assert figures.threshold_advice(Window.last_days(7), {"plate": 0.95}, 0.8, min_fields=3) == []


def test_a_window_excludes_days_outside_it(database: Database) -> None:
    extracted_document(database)
    old = Window(datetime(2020, 1, 1).date(), datetime(2020, 1, 31).date())
    assert FiguresService(database).documents_per_day(old) == []
