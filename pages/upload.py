"""Upload: one side, both sides, image URLs, or a batch (files or zips of `*_front` / `*_back`
pairs). Extraction runs in the background workers; results appear here as they finish."""

from __future__ import annotations

from typing import Optional

import pandas as pd
import streamlit as st

from pages import _ui as ui
from services.domain.people import Role
from services.domain.records import DocumentStatus
from services.review.uploads import (
    BatchPlan,
    UploadedFile,
    UploadReport,
    plan_batch,
    readable_size,
    safe_fetcher,
    single,
    url_plan,
)
from services.review.workflow import FLAG_FAILED, FLAG_LOW, DocumentView

user = ui.require(Role.REVIEWER)
svc = ui.services()
uploads = svc.uploads
IMAGE_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"]
REPORTS = "upload_reports"
MB = 1024 * 1024
# What the uploader itself accepts: an image's own limit; a batch's zips up to the server's cap.
IMAGE_MB = max(1, -(-svc.settings.max_upload_bytes // MB))
BATCH_MB = max(IMAGE_MB, min(500, -(-svc.settings.max_batch_bytes // MB)))


def enqueue(document_id: int) -> None:
    from services.tasks.jobs import enqueue_extraction  # builds the queue client on first use

    enqueue_extraction(document_id)


def remember(report: UploadReport) -> None:
    st.session_state.setdefault(REPORTS, []).insert(0, report)


st.title(ui.t("upload.title"))
mode = st.radio(ui.t("upload.mode"), ("one", "both", "url", "batch"), horizontal=True,
                format_func=lambda m: ui.t(f"upload.mode.{m}"), key="upload_mode")

with st.form("upload", clear_on_submit=True):
    plan = None
    if mode == "one":
        side = st.selectbox(ui.t("upload.side"), ("any", "front", "back"),
                            format_func=lambda s: ui.t(f"side.{s}"))
        file = st.file_uploader(ui.t("upload.file"), type=IMAGE_TYPES, key="one_file", max_upload_size=IMAGE_MB)
        st.caption(ui.t("upload.limit", size=readable_size(svc.settings.max_upload_bytes)))
    elif mode == "both":
        left, right = st.columns(2)
        front = left.file_uploader(ui.t("side.front"), type=IMAGE_TYPES, key="front_file", max_upload_size=IMAGE_MB)
        back = right.file_uploader(ui.t("side.back"), type=IMAGE_TYPES, key="back_file", max_upload_size=IMAGE_MB)
        st.caption(ui.t("upload.limit", size=readable_size(svc.settings.max_upload_bytes)))
    elif mode == "url":
        url_front = st.text_input(ui.t("upload.url_front"), placeholder="https://")
        url_back = st.text_input(ui.t("upload.url_back"), placeholder="https://")
    else:
        files = st.file_uploader(ui.t("upload.batch_files"), type=IMAGE_TYPES + ["zip"],
                                 accept_multiple_files=True, key="batch_files", max_upload_size=BATCH_MB)
        st.caption(ui.t("upload.batch_help"))
        st.caption(ui.t("upload.batch_limit", files=svc.settings.max_batch_files,
                        size=readable_size(svc.settings.max_batch_bytes),
                        image=readable_size(svc.settings.max_upload_bytes)))
    submitted = st.form_submit_button(ui.t("upload.submit"), type="primary")

if submitted:
    source = "upload"
    if mode == "one" and file is not None:
        plan = single([(side, UploadedFile(file.name, file.getvalue()))])
    elif mode == "both" and (front is not None or back is not None):
        chosen = [(s, f) for s, f in (("front", front), ("back", back)) if f is not None]
        plan = single([(s, UploadedFile(f.name, f.getvalue())) for s, f in chosen])
    elif mode == "url" and (url_front.strip() or url_back.strip()):
        source = "url"
        urls = [(s, u.strip()) for s, u in (("front", url_front), ("back", url_back)) if u.strip()]
        if len(urls) == 1:
            urls = [("any", urls[0][1])]
        with st.spinner(ui.t("upload.fetching")):
            plan = url_plan(urls, safe_fetcher(svc.settings))
    elif mode == "batch" and files:
        source = "batch"
        plan = plan_batch([UploadedFile(f.name, f.getvalue()) for f in files], uploads.limits)
    if plan is None:
        st.warning(ui.t("upload.nothing"))
    else:
        with st.spinner(ui.t("upload.storing")):
            report = uploads.submit(plan, user, source=source, enqueue=enqueue)
        remember(report)


def show_duplicates_held_back(report: UploadReport, index: int) -> None:
    """One line per file uploaded before, with the way to its document; and, on purpose, a way
    to upload them anyway."""
    for duplicate in report.duplicates:
        with st.container(border=True):
            st.info(ui.t("upload.duplicate", name=duplicate.name, id=duplicate.existing))
            if st.button(ui.t("upload.open_existing", id=duplicate.existing), key=f"open-{index}-{duplicate.existing}"):
                st.session_state["review_doc"] = duplicate.existing
                st.switch_page("pages/review.py")
    if report.held_back and st.button(ui.t("upload.anyway", n=len(report.held_back)), key=f"anyway-{index}"):
        again = uploads.submit(BatchPlan(documents=list(report.held_back)), user, source="upload", enqueue=enqueue,
                               allow_duplicates=True)
        report.held_back.clear()
        report.duplicates.clear()
        remember(again)
        st.rerun()


def show_refused(report: UploadReport) -> None:
    for refusal in report.refused:
        with st.container(border=True, key=f"refused-{id(refusal)}"):
            st.error(ui.t("upload.refused"))
            st.text(f"{refusal.name}\n{refusal.detail}")


def show_document(document_id: int, name: str) -> None:
    try:
        view = svc.review.view(document_id)
    except Exception:  # noqa: BLE001 - the document may have been removed; say so and go on
        st.warning(ui.t("upload.gone", id=document_id))
        return
    status = ui.t(f"status.{view.status}")
    # An expander's label is markdown: the file name goes in escaped.
    with st.expander(ui.t("upload.document", id=document_id, name=ui.md_escape(name), status=status),
                     expanded=False):
        if view.status == DocumentStatus.EXTRACTING.value:
            st.info(ui.t("upload.extracting"))
            return
        if view.status == DocumentStatus.FAILED.value:
            st.error(ui.t("upload.failed"))
            st.text(view.error)
            return
        show_duplicates(view)
        cards = [i for i in view.images if i.has_aligned]
        columns = st.columns(max(1, len(cards)))
        for column, image in zip(columns, cards):
            data = svc.review.image_bytes(document_id, image.id, aligned=True)
            if data:
                column.image(data, caption=ui.t(f"side.{image.detected_side or image.side}"), width="stretch")
        st.dataframe(fields_frame(view), hide_index=True, width="stretch",
                     column_config={ui.t("col.confidence"): st.column_config.NumberColumn(format="percent")})


def show_duplicates(view: DocumentView) -> None:
    for other, whats in view.duplicates:
        st.warning(ui.t("dup.warning", id=other, what=", ".join(ui.t(f"dup.{what}") for what in whats)))


def fields_frame(view: DocumentView) -> pd.DataFrame:
    rows = []
    for f in view.fields:
        flag = {FLAG_FAILED: ui.t("flag.failed"), FLAG_LOW: ui.t("flag.low")}.get(f.flag, ui.t("flag.ok"))
        rows.append({
            ui.t("col.side"): ui.t(f"side.{f.side}"),
            ui.t("col.field"): ui.field_label(f.name),
            ui.t("col.value"): f.current,
            ui.t("col.confidence"): f.confidence,
            ui.t("col.flag"): flag,
        })
    return pd.DataFrame(rows)


def pending(reports: list[UploadReport]) -> bool:
    for report in reports:
        progress = uploads.progress(report)
        if progress.done < progress.total:
            return True
    return False


def show_reports() -> None:
    reports: list[UploadReport] = st.session_state.get(REPORTS, [])
    for index, report in enumerate(reports[:10]):
        show_refused(report)
        show_duplicates_held_back(report, index)
        if report.batch_id is None or not report.documents:
            continue  # nothing stored: no batch to follow
        progress = uploads.progress(report)
        finished = progress.done >= progress.total
        title = (ui.t("upload.batch_done", batch=report.batch_id, total=progress.total) if finished
                 else ui.t("upload.progress", done=progress.done, total=progress.total, batch=report.batch_id))
        # A finished batch folds away; the one in progress stays open.
        with st.expander(title, expanded=not finished, icon=":material/done_all:" if finished else None):
            if not finished:
                st.progress(progress.fraction)
            for document_id, name in report.documents[:50]:
                show_document(document_id, name)
            if len(report.documents) > 50:
                st.caption(ui.t("upload.more_in_queue", n=len(report.documents) - 50))
    if poll and not pending(reports[:10]):
        st.rerun(scope="app")  # everything finished: redraw once more, without polling


reports_now: list[UploadReport] = st.session_state.get(REPORTS, [])
# Poll while something is still extracting; a page with nothing pending does not rerun itself.
poll: Optional[str] = "2s" if reports_now and pending(reports_now[:10]) else None
st.fragment(show_reports, run_every=poll)()
