"""What a reviewer is asked to look at: only fields the certificate's kind carries, checks that
compare the sides, the engine's own doubt until the value is corrected, honest confidences on
failing fields, and a queue that says why and in what order."""

from __future__ import annotations

from db.session import Database
from services.domain.checks import check_record
from services.domain.people import Role
from services.domain.records import DocumentFilter
from services.domain.schema import Side, VehicleKind
from services.review.intake import FAILING_CONFIDENCE_CAP, ImageInput, Submission
from services.review.workflow import FLAG_NOT_APPLICABLE
from tests.support.factories import BACK_VALUES, intake, make_user, outcome, png_bytes, review_service, side_reading


def stored(database: Database, reading, *, kind: VehicleKind = VehicleKind.MOTORBIKE) -> int:
    service = intake(database)
    document_id = service.submit(Submission(images=[ImageInput(png_bytes("card"), "back", "card-7_back.jpg")],
                                            source="upload", source_detail="card-7_back.jpg"))
    reading.kind = kind
    service.record_outcome(document_id, outcome(reading), checker=check_record, thresholds={}, default_threshold=0.8)
    return document_id


def motorbike_reading():
    reading = side_reading(Side.BACK)
    for name in ("pay_load", "year_of_manufacture", "lie", "sit", "stand"):
        field = reading.fields[name]
        field.check_ok, field.check_reason, field.confidence = False, "label not found", 0.84
    return reading


def test_the_car_rows_of_a_motorbike_are_not_applicable_and_never_fail(database: Database) -> None:
    document_id = stored(database, motorbike_reading())
    view = review_service(database, checker=check_record).view(document_id)
    for name in ("pay_load", "year_of_manufacture", "lie", "sit", "stand"):
        field = view.field("back", name)
        assert field.flag == FLAG_NOT_APPLICABLE and field.check_ok, name
    assert not any(reason.endswith((":pay_load", ":sit", ":stand")) for reason in view.review_reasons)


def test_changing_the_kind_brings_the_rows_back_and_checks_them(database: Database) -> None:
    lead = make_user(database, "lena", Role.LEAD)
    review = review_service(database, checker=check_record)
    document_id = stored(database, motorbike_reading())
    version = review.view(document_id).version
    review.set_kind(lead, document_id, version, VehicleKind.CAR.value)
    view = review.view(document_id)
    assert view.kind == "car"
    assert view.field("back", "sit").flag != FLAG_NOT_APPLICABLE
    # The engine could not find the row: for a car that is a doubt to look at, kept on re-checks.
    assert view.field("back", "sit").check_reason == "label not found"


def claimed_with_a_doubted_model(database: Database):
    """A motorbike's detail side whose model row the engine could not find, claimed by rita."""
    rita = make_user(database, "rita")
    review = review_service(database, checker=check_record)
    reading = side_reading(Side.BACK)
    reading.fields["model"].check_ok, reading.fields["model"].check_reason = False, "label not found"
    document_id = stored(database, reading)
    review.claim(rita, document_id)
    return rita, review, document_id


def test_the_engines_doubt_stands_through_a_save_of_another_field_and_goes_with_a_correction(
        database: Database) -> None:
    rita, review, document_id = claimed_with_a_doubted_model(database)
    version = review.save(rita, document_id, review.view(document_id).version, {("back", "plate"): "29B1-123.45"})
    assert review.view(document_id).field("back", "model").check_reason == "label not found"
    review.save(rita, document_id, version, {("back", "model"): "WAVE"})
    assert review.view(document_id).field("back", "model").check_ok


def test_approving_confirms_a_value_the_engine_doubted_but_a_broken_rule_still_needs_a_reason(
        database: Database) -> None:
    from services.domain.records import FieldStatus
    from services.review.workflow import ChecksFailing

    rita, review, document_id = claimed_with_a_doubted_model(database)
    # A plate no card carries breaks a record rule: refused, and the doubted model is not named.
    try:
        review.approve(rita, document_id, review.view(document_id).version, {("back", "plate"): "not a plate"})
    except ChecksFailing as refusal:
        assert [(f.side, f.name) for f in refusal.fields] == [("back", "plate")]
    else:
        raise AssertionError("approved with a plate that breaks the plate rule")
    # With the plate right, the reviewer's approval confirms the value the engine doubted.
    review.approve(rita, document_id, review.view(document_id).version, {("back", "plate"): "29B1-123.45"})
    view = review.view(document_id)
    model = view.field("back", "model")
    assert view.status == "approved"
    assert model.check_ok and model.status == FieldStatus.CONFIRMED.value
    assert any(e.action == "confirmed" and e.field == "back.model" and "label not found" in e.detail
               for e in review.history(document_id))


def test_a_failing_field_is_never_stored_as_confident(database: Database) -> None:
    reading = side_reading(Side.BACK, {**BACK_VALUES, "first_issue_date": "31/02/2016"})
    document_id = stored(database, reading)
    field = review_service(database, checker=check_record).view(document_id).field("back", "first_issue_date")
    assert not field.check_ok
    assert field.confidence <= FAILING_CONFIDENCE_CAP


def test_the_queue_filters_by_reason_and_field_and_shows_file_names(database: Database) -> None:
    review = review_service(database, checker=check_record)
    low_plate = stored(database, side_reading(Side.BACK, confidences={"plate": 0.3}))
    bad_date = stored(database, side_reading(Side.BACK, {**BACK_VALUES, "first_issue_date": "31/02/2016"}))
    by_field = [row.id for row in review.queue(DocumentFilter(fields=("plate",)))]
    by_reason = [row.id for row in review.queue(DocumentFilter(reasons=("invalid",)))]
    assert by_field == [low_plate] and by_reason == [bad_date]
    row = review.queue(DocumentFilter())[0]
    assert row.file_names == ("card-7_back.jpg",) and row.look_count >= 1
