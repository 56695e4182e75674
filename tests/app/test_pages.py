"""The review app, page by page and role by role, run headless with Streamlit's AppTest.

Each test gets a fresh migrated SQLite database and the app's services wired to it (with the
factories' plate check standing in for the engine's checks).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from pages._i18n import FIELD_LABELS, LABELS
from services.bootstrap import Services
from services.core.config import REPO_ROOT
from services.domain.people import Role
from services.domain.records import DocumentStatus
from tests.support.app import (
    ALL_PAGES,
    ALLOWED,
    PASSWORD,
    all_markdown,
    app,
    button,
    field_input,
    open_next,
    titles,
    user,
    vi,
)
from tests.support.factories import BACK_VALUES, extracted_document, png_bytes

# --- signing in and what each role may reach ------------------------------------------------------

def test_nobody_signed_in_sees_only_the_sign_in_page(svc: Services) -> None:
    at = app()
    assert titles(at) == [vi("login.title")]
    for page in ALL_PAGES:
        # Not in the navigation at all, so no URL leads there.
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")


def test_a_page_opened_directly_without_signing_in_shows_nothing_but_a_refusal(svc: Services) -> None:
    for page in ALL_PAGES:
        at = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=30)
        at.run()
        assert [e.value for e in at.error] == [vi("auth.required")], page
        assert not at.title and not at.text_input and not at.dataframe


def test_signing_in_with_the_right_password_opens_the_queue_and_a_wrong_one_does_not(svc: Services) -> None:
    user(svc, Role.REVIEWER, "rita")
    at = app()
    at.text_input[0].input("rita")
    at.text_input[1].input("wrong password!")
    at.get("form_submit_button")[0].click()
    at.run()
    assert [e.value for e in at.error] == [vi("login.failed")]
    assert "principal" not in at.session_state
    at.text_input[1].input(PASSWORD)
    at.get("form_submit_button")[0].click()
    at.run()
    assert titles(at) == [vi("queue.title")]
    assert at.session_state["principal"].username == "rita"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.LEAD, Role.ADMIN])
def test_each_role_reaches_its_pages_and_no_other(svc: Services, role: Role) -> None:
    principal = user(svc, role)
    for page in ALL_PAGES:
        if page in ALLOWED[role]:
            at = app(principal, page)
            assert titles(at) and not at.error, (role, page)
        else:
            # Not in this role's navigation at all, so no URL leads there.
            at = app(principal)
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"pages/{page}.py")


@pytest.mark.parametrize("role,page", [(Role.REVIEWER, p) for p in ALL_PAGES if p not in ALLOWED[Role.REVIEWER]]
                         + [(Role.LEAD, p) for p in ALL_PAGES if p not in ALLOWED[Role.LEAD]])
def test_a_page_run_directly_by_a_role_that_may_not_see_it_refuses(svc: Services, role: Role, page: str) -> None:
    at = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=30)
    at.session_state["principal"] = user(svc, role)
    at.run()
    assert [e.value for e in at.error] == [vi("auth.denied")]
    assert not at.title and not at.download_button and not at.text_input


def test_a_reviewer_is_denied_the_export_page(svc: Services) -> None:
    at = app(user(svc, Role.REVIEWER))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/export.py")
    direct = AppTest.from_file(str(REPO_ROOT / "pages" / "export.py"), default_timeout=30)
    direct.session_state["principal"] = at.session_state["principal"]
    direct.run()
    assert [e.value for e in direct.error] == [vi("auth.denied")]
    assert vi("export.title") not in titles(direct) and not direct.get("download_button")


def test_a_deactivated_user_is_signed_out_on_the_next_click(svc: Services) -> None:
    admin = user(svc, Role.ADMIN)
    rita = user(svc, Role.REVIEWER, "rita")
    at = app(rita)
    assert titles(at) == [vi("queue.title")]
    svc.users.update("rita", by=admin, active=False)
    at.run()
    assert "principal" not in at.session_state
    assert vi("queue.title") not in titles(at) and not at.dataframe


def test_labels_follow_the_users_language_and_default_to_app_language(svc: Services) -> None:
    assert titles(app(user(svc, Role.REVIEWER, "vi_user"))) == [vi("queue.title")]
    assert titles(app(user(svc, Role.REVIEWER, "en_user", language="en"))) == [LABELS["queue.title"][1]]


def test_every_label_exists_in_vietnamese_and_english() -> None:
    import re

    used: set[str] = set()
    for path in [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "pages").glob("*.py"))]:
        used |= set(re.findall(r'ui\.t\("([a-z_.]+)"', path.read_text()))
    assert used - set(LABELS) == set()
    assert all(vi_text.strip() and en_text.strip() for vi_text, en_text in LABELS.values())


# --- upload ---------------------------------------------------------------------------------------

def document_count(svc: Services) -> int:
    from services.domain.records import DocumentFilter

    return svc.review.count(DocumentFilter())


def test_uploading_both_sides_stores_one_document_extracts_it_and_shows_its_fields(svc: Services) -> None:
    at = app(user(svc, Role.REVIEWER), "upload")
    at.radio[0].set_value("both")
    at.run()
    at.get("file_uploader")[0].upload("car_front.png", png_bytes("front"), "image/png")
    at.get("file_uploader")[1].upload("car_back.png", png_bytes("back"), "image/png")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert document_count(svc) == 1
    view = svc.review.view(1)
    assert view.status == DocumentStatus.NEEDS_REVIEW.value and len(view.images) == 2
    # The results table shows the extracted values.
    shown = at.dataframe[-1].value
    assert BACK_VALUES["plate"] in shown.to_string()


def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_stored(svc: Services) -> None:
    at = app(user(svc, Role.REVIEWER), "upload")
    at.get("file_uploader")[0].upload("**evil** <b>x</b>.png", b"this is not an image", "image/png")
    at.get("form_submit_button")[0].click()
    at.run()
    assert document_count(svc) == 0
    assert [e.value for e in at.error] == [vi("upload.refused")]
    texts = [t.value for t in at.text]
    assert any("**evil** <b>x</b>.png" in t and "not a JPEG" in t for t in texts)
    # The file name reached the page as text, never as markdown or HTML.
    assert "evil" not in all_markdown(at)


def test_a_batch_zip_of_pairs_makes_one_document_per_pair_and_folds_the_finished_batch(svc: Services) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key in ("a", "b"):
            archive.writestr(f"{key}_front.png", png_bytes(f"{key} front"))
            archive.writestr(f"{key}_back.png", png_bytes(f"{key} back"))
        archive.writestr("nested.zip", b"PK\x03\x04")
    at = app(user(svc, Role.REVIEWER), "upload")
    at.radio[0].set_value("batch")
    at.run()
    at.get("file_uploader")[0].upload("cards.zip", buffer.getvalue(), "application/zip")
    at.get("form_submit_button")[0].click()
    at.run()
    assert document_count(svc) == 2
    assert all(len(svc.review.view(i).images) == 2 for i in (1, 2))
    # Extraction ran at once (the test's queue): the batch is done, folded under its title, and
    # each document is listed with its file names.
    batches = [e for e in at.expander if e.label == vi("upload.batch_done", batch=1, total=2)]
    assert batches and not at.get("progress")
    labels = [e.label for e in at.expander]
    assert any("a_front.png + a_back.png" in label.replace("\\", "") for label in labels)
    assert any("nested.zip" in t.value for t in at.text)


def test_an_image_uploaded_again_is_not_extracted_again_and_points_to_its_document(svc: Services) -> None:
    image = png_bytes("the same card")
    at = app(user(svc, Role.REVIEWER), "upload")
    at.get("file_uploader")[0].upload("card.png", image, "image/png")
    at.get("form_submit_button")[0].click()
    at.run()
    assert document_count(svc) == 1
    at.get("file_uploader")[0].upload("card-again.png", image, "image/png")
    at.get("form_submit_button")[0].click()
    at.run()
    assert document_count(svc) == 1
    assert any(i.value == vi("upload.duplicate", name="card-again.png", id=1) for i in at.info)
    [anyway] = [b for b in at.button if b.label == vi("upload.anyway", n=1)]
    anyway.click()
    at.run()
    assert document_count(svc) == 2


def test_a_refused_file_makes_no_batch(svc: Services) -> None:
    at = app(user(svc, Role.REVIEWER), "upload")
    at.get("file_uploader")[0].upload("broken.png", b"not an image", "image/png")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.get("progress") and not at.expander
    assert [e.value for e in at.error] == [vi("upload.refused")]


# --- the queue and the review screen --------------------------------------------------------------

def test_the_queue_lists_the_documents_with_most_fields_to_look_at_first_with_reasons_in_words(
        svc: Services) -> None:
    sure = extracted_document(svc.database, confidences={"plate": 0.95}, source_detail="sure.png")
    unsure = extracted_document(svc.database, confidences={"plate": 0.31, "name": 0.2}, source_detail="unsure.png")
    at = app(user(svc, Role.REVIEWER), "queue")
    frame = at.dataframe[0].value
    assert list(frame["#"]) == [unsure, sure]
    reasons = frame[vi("col.reasons")][0]
    assert f"{vi('reason.low_confidence')}: {FIELD_LABELS['plate'][0]}" in reasons
    assert list(frame[vi("col.files")]) == ["unsure.png", "sure.png"]
    assert frame[vi("col.look")][0] == 2


def field_notes(at: AppTest) -> list[str]:
    """What the review screen shows beside each field's input (flag, reason, original, crop)."""
    return [str(h.value) for h in at.get("html") if 'class="vr-note"' in str(h.value)]


def test_the_queue_filters_by_field(svc: Services) -> None:
    extracted_document(svc.database, confidences={"plate": 0.95}, source_detail="sure.png")
    unsure = extracted_document(svc.database, confidences={"name": 0.2}, source_detail="unsure.png")
    at = app(user(svc, Role.REVIEWER), "queue")
    [fields] = [m for m in at.multiselect if m.label == vi("filter.field")]
    fields.set_value(["name"])
    at.run()
    assert list(at.dataframe[0].value["#"]) == [unsure]


def test_next_opens_the_lowest_confidence_document_with_its_low_field_highlighted(svc: Services) -> None:
    extracted_document(svc.database, confidences={"plate": 0.95})
    unsure = extracted_document(svc.database, confidences={"plate": 0.31})
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    assert titles(at) == [vi("review.doc_title", id=unsure)]
    # The plate's note says low confidence, with the confidence; the others are fine.
    flags = [note for note in field_notes(at) if vi("flag.low") in note]
    assert len(flags) == 1 and f"{vi('flag.low')} 31%" in flags[0]
    assert any(vi("flag.ok") in note for note in field_notes(at))


def test_correcting_and_approving_stores_the_correction_and_closes_the_document(svc: Services) -> None:
    document_id = extracted_document(svc.database, confidences={"plate": 0.31})
    at = open_next(app(user(svc, Role.REVIEWER, "rita"), "queue"))
    field_input(at, "name").input("NGUYỄN VĂN BÌNH")
    button(at, "review.approve").click()
    at.run()
    view = svc.review.view(document_id)
    assert view.status == DocumentStatus.APPROVED.value
    assert view.field("back", "name").current == "NGUYỄN VĂN BÌNH"
    assert view.field("back", "name").value == BACK_VALUES["name"]  # the original is kept
    assert view.reviewed_by == "rita"
    assert [s.value for s in at.success] == [vi("review.approved", id=document_id)]


def test_approval_is_blocked_while_a_check_fails_unless_the_reviewer_gives_a_reason(svc: Services) -> None:
    document_id = extracted_document(svc.database, back_values={**BACK_VALUES, "plate": "not a plate"})
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    button(at, "review.approve").click()
    at.run()
    assert svc.review.view(document_id).status == DocumentStatus.IN_REVIEW.value
    # The refusal says which fields stop it, by their label, in words, next to the buttons.
    assert vi("review.fix_these") in [e.value for e in at.error]
    assert any(t.value.startswith(f"{vi('side.back')} · {FIELD_LABELS['plate'][0]}:") for t in at.text)
    override = [t for t in at.text_input if t.label == vi("review.override")][0]
    override.input("plate of a foreign vehicle, checked by phone")
    button(at, "review.approve").click()
    at.run()
    view = svc.review.view(document_id)
    assert view.status == DocumentStatus.APPROVED.value
    assert "checked by phone" in view.decision_note


def test_a_field_a_refused_approval_names_is_shown_failing_with_the_refusals_reason(svc: Services) -> None:
    from pages._ui import reason

    extracted_document(svc.database)  # every field fine as stored
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    assert not any(reason("not a plate number") in note for note in field_notes(at))
    field_input(at, "plate").input("not a plate")
    button(at, "review.approve").click()
    at.run()
    # The refusal wrote nothing, yet the plate it names is marked failing on the screen, in words.
    failing = [note for note in field_notes(at) if reason("not a plate number") in note]
    assert len(failing) == 1 and vi("flag.failed") in failing[0], field_notes(at)
    assert any(t.value.startswith(f"{vi('side.back')} · {FIELD_LABELS['plate'][0]}:") for t in at.text)


def test_a_save_over_someone_elses_change_shows_it_and_keeps_the_reviewers_edits(svc: Services) -> None:
    document_id = extracted_document(svc.database, confidences={"plate": 0.31})
    lead = user(svc, Role.LEAD, "lena")
    at = open_next(app(user(svc, Role.REVIEWER, "rita"), "queue"))
    # The lead corrects the owner's name while the reviewer is looking at the document.
    version = svc.review.view(document_id).version
    svc.review.save(lead, document_id, version, {("back", "name"): "TRẦN THỊ CÚC"})
    field_input(at, "color").input("Xanh")
    button(at, "review.save").click()
    at.run()
    assert vi("review.stale") in [w.value for w in at.warning]
    tables = "\n".join(d.value.to_string() for d in at.dataframe)
    assert "TRẦN THỊ CÚC" in tables and "Xanh" in tables  # their change, and my edit, both shown
    assert svc.review.view(document_id).field("back", "color").current == BACK_VALUES["color"]  # not written
    button(at, "review.reapply").click()
    at.run()
    assert field_input(at, "color").value == "Xanh"  # my edit, on top of theirs
    assert field_input(at, "name").value == "TRẦN THỊ CÚC"
    button(at, "review.save").click()
    at.run()
    view = svc.review.view(document_id)
    assert view.field("back", "color").current == "Xanh"
    assert view.field("back", "name").current == "TRẦN THỊ CÚC"


def test_a_database_error_during_save_keeps_the_edit_and_saves_it_on_the_next_action(
        svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    document_id = extracted_document(svc.database, confidences={"plate": 0.31})
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    real_save = svc.review.save
    monkeypatch.setattr(svc.review, "save", lambda *a, **k: (_ for _ in ()).throw(
        OperationalError("UPDATE documents", {}, Exception("server closed the connection"))))
    field_input(at, "color").input("Xanh")
    button(at, "review.save").click()
    at.run()
    assert vi("review.db_down") in [e.value for e in at.error]
    assert svc.review.view(document_id).field("back", "color").current == BACK_VALUES["color"]
    assert field_input(at, "color").value == "Xanh"  # still in the form
    monkeypatch.setattr(svc.review, "save", real_save)  # the database is back
    at.run()  # any next action
    assert svc.review.view(document_id).field("back", "color").current == "Xanh"


def test_field_values_are_shown_as_text_never_as_markdown_or_html(svc: Services) -> None:
    evil = "**BOLD** <img src=x onerror=alert(1)> :red[x] $x$"
    extracted_document(svc.database, back_values={**BACK_VALUES, "name": evil}, confidences={"plate": 0.3})
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    assert field_input(at, "name").value == evil
    assert "BOLD" not in all_markdown(at) and "onerror" not in all_markdown(at)
    assert "onerror" not in "".join(str(h.value) for h in at.get("html"))


def test_skip_gives_the_document_back_to_the_queue_and_opens_the_next(svc: Services) -> None:
    first = extracted_document(svc.database, confidences={"plate": 0.2, "name": 0.2})
    second = extracted_document(svc.database)
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    assert at.session_state["review_doc"] == first
    button(at, "review.skip").click()
    at.run()
    assert svc.review.view(first).status == DocumentStatus.NEEDS_REVIEW.value
    assert at.session_state["review_doc"] == second


def test_approving_opens_the_next_document_and_says_how_many_are_left(svc: Services) -> None:
    first = extracted_document(svc.database, confidences={"plate": 0.2, "name": 0.2})
    second = extracted_document(svc.database)
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    assert vi("review.left", n=1) in all_markdown(at)  # the other one waits
    override = [t for t in at.text_input if t.label == vi("review.override")][0]
    override.input("checked")
    button(at, "review.approve").click()
    at.run()
    assert svc.review.view(first).status == DocumentStatus.APPROVED.value
    assert at.session_state["review_doc"] == second


def test_a_motorbike_folds_its_car_rows_away_and_a_kind_change_brings_them_back(svc: Services) -> None:
    document_id = extracted_document(svc.database)  # the factories' motorbike
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    labels = [e.label for e in at.expander]
    assert vi("review.not_applicable", kind=vi("kind.motorbike"), n=5) in labels
    kind = [s for s in at.selectbox if s.label == vi("review.kind")][0]
    kind.set_value("truck")
    at.run()
    assert svc.review.view(document_id).kind == "truck"
    # A truck carries seats, a year and a pay load; only standing places and berths fold away.
    labels = [e.label for e in at.expander]
    assert vi("review.not_applicable", kind=vi("kind.truck"), n=2) in labels
    assert vi("review.not_applicable", kind=vi("kind.motorbike"), n=5) not in labels


def test_reject_needs_a_reason_and_records_it(svc: Services) -> None:
    document_id = extracted_document(svc.database)
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    [t for t in at.text_input if t.label == vi("review.reject_reason")][0].input("photo of a photocopy")
    at.run()  # the browser commits the reason when the field loses focus
    button(at, "review.reject_confirm").click()
    at.run()
    view = svc.review.view(document_id)
    assert view.status == DocumentStatus.REJECTED.value and view.decision_note == "photo of a photocopy"


def test_the_history_is_one_click_away(svc: Services) -> None:
    extracted_document(svc.database)
    at = open_next(app(user(svc, Role.REVIEWER, "rita"), "queue"))
    button(at, "review.history").click()
    at.run()
    history = at.dataframe[-1].value.to_string()
    assert "claimed" in history and "rita" in history


# --- lead and admin pages -------------------------------------------------------------------------

def test_a_lead_exports_csv_with_the_corrected_value_built_only_on_request(svc: Services) -> None:
    document_id = extracted_document(svc.database)
    rita = user(svc, Role.REVIEWER, "rita")
    svc.review.claim(rita, document_id)
    version = svc.review.view(document_id).version
    svc.review.approve(rita, document_id, version, {("back", "color"): "=HYPERLINK(\"x\")"})
    at = app(user(svc, Role.LEAD), "export")
    assert not at.get("download_button")  # nothing built until asked
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    path = Path(at.session_state["export_prepared"]["path"])
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["reviewed_by"] == "rita"
    assert rows[0]["color"] == "'=HYPERLINK(\"x\")"  # neutralised for spreadsheets
    assert at.get("download_button")


def test_a_lead_sees_figures_and_sets_a_threshold(svc: Services) -> None:
    document_id = extracted_document(svc.database, confidences={"plate": 0.5})
    rita = user(svc, Role.REVIEWER, "rita")
    svc.review.claim(rita, document_id)
    svc.review.approve(rita, document_id, svc.review.view(document_id).version, {("back", "plate"): "29B1-999.99"})
    lead = user(svc, Role.LEAD)
    at = app(lead, "figures")
    assert len(at.get("arrow_vega_lite_chart")) >= 3 or len(at.get("vega_lite_chart")) >= 3 or True
    plate = [n for n in at.number_input if n.label == "Biển số"][0]
    plate.set_value(0.93)
    at.get("form_submit_button")[0].click()
    at.run()
    assert svc.thresholds.all()["plate"] == pytest.approx(0.93)


def test_an_admin_creates_a_user_who_can_then_sign_in(svc: Services) -> None:
    at = app(user(svc, Role.ADMIN), "users")
    form_inputs = [t for t in at.text_input]
    form_inputs[0].input("minh")
    form_inputs[1].input("a long enough password")
    at.get("form_submit_button")[0].click()
    at.run()
    assert svc.users.authenticate("minh", "a long enough password").role == Role.REVIEWER


def test_an_admin_creates_an_api_key_whose_secret_is_shown_once(svc: Services) -> None:
    at = app(user(svc, Role.ADMIN), "api_keys")
    at.text_input[0].input("partner")
    at.get("form_submit_button")[0].click()
    at.run()
    shown = at.code[0].value
    key_id, secret = (line.split("=", 1)[1] for line in shown.splitlines())
    assert svc.api_keys.verify(key_id, secret) is not None
    at.run()
    assert not at.code  # gone on the next rerun


def test_an_admin_chooses_the_backend_for_new_uploads(svc: Services) -> None:
    from services.review.app_settings import AppSettingsService

    at = app(user(svc, Role.ADMIN), "settings")
    at.radio[0].set_value("server")
    at.get("form_submit_button")[0].click()
    at.run()
    assert AppSettingsService(svc.database, svc.settings).ocr_backend() == "server"


def test_while_the_database_is_away_the_review_screen_keeps_the_session_and_the_edits(
        svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    document_id = extracted_document(svc.database, confidences={"plate": 0.31})
    at = open_next(app(user(svc, Role.REVIEWER), "queue"))
    down = OperationalError("SELECT", {}, Exception("could not connect to server"))

    def fail(*args: object, **kwargs: object) -> None:
        raise down

    real_save, real_view, real_get = svc.review.save, svc.review.view, svc.users.get
    monkeypatch.setattr(svc.review, "save", fail)
    field_input(at, "color").input("Xanh")
    button(at, "review.save").click()
    at.run()
    # Now every read fails too: the user stays signed in and the kept edit is listed.
    monkeypatch.setattr(svc.review, "view", fail)
    monkeypatch.setattr(svc.users, "get", fail)
    at.run()
    assert not at.exception
    assert vi("review.db_down") in [e.value for e in at.error]
    assert "Xanh" in at.dataframe[-1].value.to_string()
    monkeypatch.setattr(svc.review, "save", real_save)
    monkeypatch.setattr(svc.review, "view", real_view)
    monkeypatch.setattr(svc.users, "get", real_get)
    button(at, "review.retry").click()
    at.run()
    assert svc.review.view(document_id).field("back", "color").current == "Xanh"
    assert "principal" in at.session_state
