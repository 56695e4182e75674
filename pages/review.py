"""The review screen: the aligned card with the fields' boxes, and for each field its value in an
input, its confidence, a badge (low confidence / failed check with the reason / fine) and its
crop. Enter jumps to the next flagged field; Ctrl+Enter approves.

Edits live in a draft in the session until a save succeeds: a stale version shows the other
change and keeps the reviewer's edits to re-apply; a database outage keeps them and retries on
the next action.
"""

from __future__ import annotations

import math
from typing import Optional

import pandas as pd
import streamlit as st

from pages import _card_images as card_images
from pages import _ui as ui
from services.domain.people import Role
from services.domain.records import DocumentStatus
from services.domain.schema import Side
from services.review.desk import DATABASE_DOWN, Draft, Outcome, edits_against, other_changes
from services.review.workflow import FLAG_FAILED, FLAG_LOW, DocumentView, FieldView

user = ui.require(Role.REVIEWER)
svc = ui.services()
desk = svc.desk
DRAFTS, BASES, STALE = "review_drafts", "review_bases", "review_stale"
OPEN_STATUSES = (DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value)

# Flagged rows are marked by their container's key (Streamlit turns it into a class), so the
# styling and the Enter key need no value in any HTML.
STYLE = """
<style>
div[class*="st-key-flag-low_confidence"] { border-left: 6px solid #ea8c00; background: #fff4e0;
  padding-left: .5rem; border-radius: .3rem; }
div[class*="st-key-flag-failed_check"] { border-left: 6px solid #dc2626; background: #fde8e8;
  padding-left: .5rem; border-radius: .3rem; }
</style>
"""
ENTER_TO_NEXT = """
<script>
(function () {
  const doc = window.document;
  if (doc.body.dataset.vrEnterNext) return;
  doc.body.dataset.vrEnterNext = "1";
  doc.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      // Ctrl+Enter approves from anywhere, inside a field too (Streamlit's own shortcuts
      // stay quiet while the cursor is in an input).
      const approve = doc.querySelector('div[class*="st-key-approve-"] button:not([disabled])');
      if (!approve) return;
      event.preventDefault();
      if (doc.activeElement instanceof HTMLElement) doc.activeElement.blur();
      setTimeout(() => approve.click(), 50);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    const input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    const row = input.closest('div[class*="st-key-field-"]');
    if (!row) return;
    event.preventDefault();
    const flagged = Array.from(doc.querySelectorAll(
      'div[class*="st-key-flag-"] input:not([disabled])'));
    const all = Array.from(doc.querySelectorAll('div[class*="st-key-field-"] input:not([disabled])'));
    const here = all.indexOf(input);
    const next = flagged.find(el => all.indexOf(el) > here) || flagged[0];
    if (next && next !== input) { next.focus(); next.select(); }
  }, true);
})();
</script>
"""


def state(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def close_document(message_key: Optional[str] = None, **values: object) -> None:
    document_id = st.session_state.pop("review_doc", None)
    for name in (DRAFTS, BASES, STALE):
        state(name).pop(document_id, None)
    if message_key:
        ui.flash(message_key, **values)
    st.rerun()


def claim_next() -> None:
    document_id = svc.review.claim_next(user)
    if document_id is None:
        st.info(ui.t("queue.empty"))
        return
    st.session_state["review_doc"] = document_id
    st.rerun()


st.html(STYLE)
document_id: Optional[int] = st.session_state.get("review_doc")
if document_id is None:
    st.title(ui.t("review.title"))
    ui.show_flash()
    st.info(ui.t("review.none_open"))
    if st.button(ui.t("queue.next"), type="primary", icon=":material/play_arrow:", shortcut="N"):
        claim_next()
    st.stop()

draft: Optional[Draft] = state(DRAFTS).get(document_id)

# A save the database refused last time goes first, before anything else is read.
if draft is not None and draft.pending:
    retried = desk.retry_pending(user, draft)
    if retried is not None and retried.ok:
        if retried.kind == "approved":
            close_document("review.saved_after_outage_approved", id=document_id)
        st.toast(ui.t("review.saved_after_outage"))
        state(BASES).pop(document_id, None)

try:
    view = svc.review.view(document_id)
except DATABASE_DOWN:
    st.title(ui.t("review.doc_title", id=document_id))
    st.error(ui.t("review.db_down"))
    if draft is not None and draft.edits:
        st.caption(ui.t("review.kept_edits"))
        st.dataframe(pd.DataFrame([{ui.t("col.field"): f"{s}.{n}", ui.t("col.value"): v}
                                   for (s, n), v in draft.edits.items()]), hide_index=True)
    st.button(ui.t("review.retry"), type="primary")
    st.stop()

if draft is None:
    draft = state(DRAFTS)[document_id] = Draft(document_id, view.version)
base: DocumentView = state(BASES).setdefault(document_id, view)


def start_over_on(current: DocumentView) -> None:
    state(BASES)[document_id] = current
    desk.rebase(draft, current)
    state(STALE).pop(document_id, None)


# The form shows the version this reviewer loaded (`base`) until they save or re-apply; a change
# made underneath is noticed at the end of the run (after any submitted form was handled with
# the values the reviewer actually saw).
# --- header -------------------------------------------------------------------------------------
st.title(ui.t("review.doc_title", id=document_id))
ui.show_flash()
meta = st.container(horizontal=True)
meta.badge(ui.t(f"status.{view.status}"), color="blue")
meta.badge(ui.t(f"kind.{view.kind}"), color="gray")
if view.claimed_by:
    # A badge's label is markdown: the user name goes in escaped.
    meta.badge(ui.t("review.claimed_by", name=ui.md_escape(view.claimed_by)), color="violet")
for reason in view.review_reasons:
    meta.badge(reason, color="orange" if reason.startswith("low") else "red")
for other, what in view.duplicates:
    st.warning(ui.t("dup.warning", id=other, what=ui.t(f"dup.{what}")))
if view.status == DocumentStatus.FAILED.value:
    st.error(ui.t("upload.failed"))
    st.text(view.error)

writable = view.status in OPEN_STATUSES and (view.claimed_by in (None, user.username) or user.is_lead)


@st.dialog(ui.t("review.history"), width="large")
def show_history() -> None:
    entries = svc.review.history(document_id)
    st.dataframe(pd.DataFrame([
        {ui.t("col.when"): e.at, ui.t("col.who"): e.actor, ui.t("col.action"): e.action,
         ui.t("col.field"): e.field or "", ui.t("col.old"): e.old_value or "", ui.t("col.new"): e.new_value or "",
         ui.t("col.detail"): e.detail}
        for e in entries
    ]), hide_index=True, width="stretch")


actions = st.container(horizontal=True)
if actions.button(ui.t("review.history"), icon=":material/history:", shortcut="H"):
    show_history()
if actions.button(ui.t("review.back"), icon=":material/arrow_back:"):
    close_document()
if writable and actions.button(ui.t("review.skip"), icon=":material/skip_next:"):
    try:
        svc.review.release(user, document_id, action="skipped")
    except DATABASE_DOWN:
        st.error(ui.t("review.db_down"))
    else:
        close_document("review.skipped", id=document_id)
if user.is_lead and view.status in (DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value):
    if actions.button(ui.t("review.reopen")):
        svc.review.reopen(user, document_id, view.version)
        st.rerun()

# --- a change underneath: show it, keep the reviewer's edits ------------------------------------
current_stale: Optional[DocumentView] = state(STALE).get(document_id)
if current_stale is not None:
    with st.container(border=True, key="stale-box"):
        st.warning(ui.t("review.stale"))
        changes = other_changes(base, current_stale)
        if changes:
            st.caption(ui.t("review.their_changes"))
            st.dataframe(pd.DataFrame([
                {ui.t("col.field"): f"{ui.t(f'side.{c.side}')} · {ui.field_label(c.name)}",
                 ui.t("col.before"): c.before, ui.t("col.after"): c.after}
                for c in changes
            ]), hide_index=True, width="stretch")
        st.caption(ui.t("review.your_edits"))
        st.dataframe(pd.DataFrame([
            {ui.t("col.field"): f"{ui.t(f'side.{s}')} · {ui.field_label(n)}", ui.t("col.value"): v}
            for (s, n), v in draft.edits.items()
        ]), hide_index=True, width="stretch")
        left, right = st.columns(2)
        if left.button(ui.t("review.reapply"), type="primary", key="reapply"):
            start_over_on(current_stale)
            st.rerun()
        if right.button(ui.t("review.discard"), key="discard"):
            draft.edits.clear()
            start_over_on(current_stale)
            st.rerun()
    st.stop()

# --- the card and the fields --------------------------------------------------------------------
card_cache: dict[int, bytes] = {}


def card(side: str) -> Optional[bytes]:
    image = card_images.image_for_side(view.images, side)
    if image is None or not image.has_aligned:
        return None
    if image.id not in card_cache:
        card_cache[image.id] = svc.review.image_bytes(document_id, image.id, aligned=True) or b""
    return card_cache[image.id] or None


@st.cache_data(max_entries=64, show_spinner=False)
def annotated(document_id: int, version: int, side: str, _card: bytes, _fields: tuple[FieldView, ...]) -> bytes:
    return card_images.annotated(_card, list(_fields))


@st.cache_data(max_entries=512, show_spinner=False)
def crop(document_id: int, image_side: str, box: tuple[int, int, int, int], _card: bytes) -> Optional[bytes]:
    return card_images.crop(_card, box)


def badge(f: FieldView) -> None:
    # Rounded down: 99.96 % under a 99.99 % threshold must not read "100 %".
    confidence = "" if f.confidence is None else f" {math.floor(f.confidence * 100 + 1e-9)}%"
    if f.flag == FLAG_FAILED:
        st.badge(ui.t("flag.failed") + confidence, color="red", icon=":material/error:")
        st.text(f.check_reason)
    elif f.flag == FLAG_LOW:
        st.badge(ui.t("flag.low") + confidence, color="orange", icon=":material/warning:")
    else:
        st.badge(ui.t("flag.ok") + confidence, color="green", icon=":material/check:")
    if f.corrected_value is not None:
        st.text(ui.t("review.original") + ": " + f.value)


sides = [s.value for s in (Side.FRONT, Side.BACK) if any(f.side == s.value for f in base.fields)]
revision = f"{document_id}-{draft.base_version}"
card_column, form_column = st.columns([4, 8])

with card_column:
    for side in sides:
        data = card(side)
        if data:
            fields_here = tuple(f for f in base.fields if f.side == side)
            st.image(annotated(document_id, base.version, side, data, fields_here), caption=ui.t(f"side.{side}"),
                     width="stretch")
    if not any(card(side) for side in sides):
        for image in view.images:
            original = svc.review.image_bytes(document_id, image.id, aligned=False)
            if original:
                st.image(original, caption=ui.t(f"side.{image.side}"), width="stretch")

inputs: dict[tuple[str, str], str] = {}
with form_column:
    if not base.fields:
        st.info(ui.t("review.no_fields"))
    with st.form(f"fields-{revision}", enter_to_submit=False, border=False):
        for side in sides:
            st.subheader(ui.t(f"side.{side}"))
            data = card(side)
            for f in (f for f in base.fields if f.side == side):
                row_key = f"field-{side}-{f.name}"
                if f.flag != "ok":
                    row_key = f"flag-{f.flag}-{row_key}"
                with st.container(key=row_key, horizontal=True, vertical_alignment="center"):
                    with st.container(width=240):
                        picture = crop(document_id, side, tuple(f.box), data) if data and f.box else None
                        if picture:
                            st.image(picture, width="stretch")
                    with st.container(width="stretch"):
                        value = draft.edits.get((side, f.name), f.current)
                        inputs[(side, f.name)] = st.text_input(
                            ui.field_label(f.name), value=value, key=f"in-{revision}-{side}-{f.name}",
                            disabled=f.derived or not writable, max_chars=500,
                            help=ui.t("review.derived_help") if f.derived else None,
                        )
                    with st.container(width=190):
                        badge(f)
        override = ""
        if writable:
            override = st.text_input(ui.t("review.override"), key=f"override-{revision}",
                                     value=draft.override_reason, help=ui.t("review.override_help"))
        buttons = st.container(horizontal=True)
        saved = buttons.form_submit_button(ui.t("review.save"), disabled=not writable, icon=":material/save:")
        approved = buttons.form_submit_button(ui.t("review.approve"), type="primary", disabled=not writable,
                                              shortcut="Ctrl+Enter", icon=":material/done_all:",
                                              key=f"approve-{revision}")

    if writable:
        with st.expander(ui.t("review.reject")):
            reason = st.text_input(ui.t("review.reject_reason"), key=f"reject-{revision}")
            if st.button(ui.t("review.reject_confirm"), disabled=not reason.strip()):
                outcome = desk.reject(user, draft, reason)
                if outcome.ok:
                    close_document("review.rejected", id=document_id)
                elif outcome.kind == "stale":
                    state(STALE)[document_id] = outcome.current
                    st.rerun()
                else:
                    st.error(ui.t("review.db_down") if outcome.kind == "database" else ui.t("review.refused"))
                    st.text(outcome.message)

st.html(ENTER_TO_NEXT, unsafe_allow_javascript=True)


def handle(outcome: Outcome) -> None:
    if outcome.kind == "approved":
        close_document("review.approved", id=document_id)
    if outcome.kind == "saved":
        state(BASES)[document_id] = svc.review.view(document_id)
        st.toast(ui.t("review.saved"))
        st.rerun()
    if outcome.kind == "stale":
        state(STALE)[document_id] = outcome.current
        st.rerun()
    if outcome.kind == "checks":
        st.error(ui.t("review.checks_fail"))
        for line in outcome.failing:
            st.text(line)
    elif outcome.kind == "database":
        st.error(ui.t("review.db_down"))
        st.caption(ui.t("review.kept_edits"))
    elif outcome.kind == "refused":
        st.error(ui.t("review.refused"))
        st.text(outcome.message)


if saved or approved:
    # Edits are what differs from what the reviewer saw, not from what is current now: a value
    # someone else changed meanwhile is theirs, not this reviewer's to revert.
    draft.edits = edits_against(base, inputs)
    if approved:
        handle(desk.approve(user, draft, override))
    else:
        handle(desk.save(user, draft))
elif view.version != draft.base_version:
    if draft.edits:
        state(STALE)[document_id] = view
    else:
        start_over_on(view)
    st.rerun()
