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
    UploadedFile,
    UploadReport,
    plan_batch,
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
        file = st.file_uploader(ui.t("upload.file"), type=IMAGE_TYPES, key="one_file")
    elif mode == "both":
        left, right = st.columns(2)
        front = left.file_uploader(ui.t("side.front"), type=IMAGE_TYPES, key="front_file")
        back = right.file_uploader(ui.t("side.back"), type=IMAGE_TYPES, key="back_file")
    elif mode == "url":
        url_front = st.text_input(ui.t("upload.url_front"), placeholder="https://")
        url_back = st.text_input(ui.t("upload.url_back"), placeholder="https://")
    else:
        files = st.file_uploader(ui.t("upload.batch_files"), type=IMAGE_TYPES + ["zip"],
                                 accept_multiple_files=True, key="batch_files")
        st.caption(ui.t("upload.batch_help"))
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
    with st.expander(f"#{document_id} · {status}", expanded=view.status != DocumentStatus.EXTRACTING.value):
        st.text(name)
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
    for other, what in view.duplicates:
        st.warning(ui.t("dup.warning", id=other, what=ui.t(f"dup.{what}")))


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
    for report in reports[:10]:
        with st.container(border=True):
            if report.batch_id is not None:
                progress = uploads.progress(report)
                st.progress(progress.fraction, text=ui.t("upload.progress", done=progress.done, total=progress.total,
                                                         batch=report.batch_id))
            show_refused(report)
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
