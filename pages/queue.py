"""The review queue: the documents with the most fields needing a look first, then the oldest.

The list is read-only: per document its file names and a small picture of the card, why it is
here in words, and how many fields need a look; filters by reason and by field. "Next" claims
the next document in the database (no two reviewers get the same one) and opens it.
"""

from __future__ import annotations

from datetime import date

import base64

import pandas as pd
import streamlit as st

from pages import _ui as ui
from services.domain.people import Role
from services.domain.kinds import REVIEW_KINDS
from services.domain.records import DocumentFilter, DocumentStatus
from services.domain.schema import SPECS_BY_NAME

user = ui.require(Role.REVIEWER)
svc = ui.services()
PAGE_SIZE = 50
QUEUE_STATUSES = (DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value)
ALL_STATUSES = tuple(s.value for s in DocumentStatus)


def open_document(document_id: int) -> None:
    st.session_state["review_doc"] = document_id
    st.switch_page("pages/review.py")


st.title(ui.t("queue.title"))
ui.show_flash()

with st.container(horizontal=True):
    statuses = st.multiselect(ui.t("filter.status"), ALL_STATUSES, default=QUEUE_STATUSES,
                              format_func=lambda s: ui.t(f"status.{s}"), key="q_status", placeholder=ui.t("filter.any"))
    kinds = st.multiselect(ui.t("filter.kind"), [k.value for k in REVIEW_KINDS],
                           format_func=lambda k: ui.t(f"kind.{k}"), key="q_kind", placeholder=ui.t("filter.any"))
    provinces = st.text_input(ui.t("filter.province"), placeholder="01, 79", key="q_province")
    days = st.date_input(ui.t("filter.dates"), value=(), key="q_dates")
with st.container(horizontal=True):
    reasons = st.multiselect(ui.t("filter.reason"), ("invalid", "low_confidence"), key="q_reason",
                             format_func=lambda r: ui.t(f"reason.{r}"), placeholder=ui.t("filter.any"))
    fields = st.multiselect(ui.t("filter.field"), [s for s in SPECS_BY_NAME if not SPECS_BY_NAME[s].derived],
                            key="q_field", format_func=ui.field_label, placeholder=ui.t("filter.any"))

start, end = (tuple(days) + (None, None))[:2] if isinstance(days, (tuple, list)) else (days, days)
flt = DocumentFilter(
    statuses=tuple(statuses),
    kinds=tuple(kinds),
    province_codes=tuple(p.strip() for p in provinces.split(",") if p.strip()),
    created_from=start if isinstance(start, date) else None,
    created_to=end if isinstance(end, date) else (start if isinstance(start, date) else None),
    reasons=tuple(reasons),
    fields=tuple(fields),
)

with st.container(horizontal=True):
    if st.button(ui.t("queue.next"), type="primary", icon=":material/play_arrow:", shortcut="N"):
        # "Next" keeps to the queue's own statuses whatever the list shows.
        claim_filter = DocumentFilter(kinds=flt.kinds, province_codes=flt.province_codes,
                                      created_from=flt.created_from, created_to=flt.created_to,
                                      reasons=flt.reasons, fields=flt.fields)
        document_id = svc.review.claim_next(user, claim_filter)
        if document_id is None:
            st.info(ui.t("queue.empty"))
        else:
            open_document(document_id)

total = svc.review.count(flt)
pages = max(1, -(-total // PAGE_SIZE))
page = st.number_input(ui.t("queue.page", pages=pages), min_value=1, max_value=pages, value=1, key="q_page",
                       width=200)
rows = svc.review.queue(flt, limit=PAGE_SIZE, offset=(int(page) - 1) * PAGE_SIZE)
st.caption(ui.t("queue.count", n=total))

def readable(reasons: list[str]) -> str:
    """`low_confidence:plate` -> "Low confidence: Plate", one entry per reason."""
    out = []
    for reason in reasons:
        kind, _, name = reason.partition(":")
        out.append(f"{ui.t(f'reason.{kind}')}: {ui.field_label(name)}" if name else reason)
    return "; ".join(out)


@st.cache_data(max_entries=512, show_spinner=False)
def thumbnail(document_id: int, image_id: int, version: int) -> str:
    from pages import _card_images as card_images

    data = svc.review.image_bytes(document_id, image_id, aligned=True)
    small = card_images.thumbnail(data) if data else None
    return "data:image/jpeg;base64," + base64.b64encode(small).decode("ascii") if small else ""


frame = pd.DataFrame([
    {
        "#": r.id,
        ui.t("col.card"): thumbnail(r.id, r.thumbnail_image, r.version) if r.thumbnail_image else "",
        ui.t("col.files"): " + ".join(r.file_names) or r.source_detail,
        ui.t("col.status"): ui.t(f"status.{r.status}"),
        ui.t("col.kind"): ui.t(f"kind.{r.kind}"),
        ui.t("col.look"): r.look_count,
        ui.t("col.reasons"): readable(r.reasons),
        ui.t("col.created"): r.created_at,
        ui.t("col.province"): r.province_code or "",
        ui.t("col.claimed_by"): r.claimed_by or "",
    }
    for r in rows
])
st.dataframe(frame, hide_index=True, width="stretch", row_height=48,
             column_config={ui.t("col.card"): st.column_config.ImageColumn(width="small"),
                            ui.t("col.look"): st.column_config.NumberColumn(format="%d")})

openable = [r.id for r in rows if r.status in QUEUE_STATUSES or user.is_lead]
if openable:
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(ui.t("queue.open_choice"), openable, key="q_open_choice")
        if st.button(ui.t("queue.open")):
            row = next(r for r in rows if r.id == chosen)
            if row.status in QUEUE_STATUSES and not svc.review.claim(user, chosen) and not user.is_lead:
                st.error(ui.t("queue.held", id=chosen))
            else:
                open_document(chosen)
