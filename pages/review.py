"""The review screen: the aligned card with the fields' boxes, and for each field its value in an
input, its confidence, a badge (low confidence / failed check with the reason / fine) and its
crop. Enter jumps to the next flagged field; Ctrl+Enter approves.

Edits live in a draft in the session until a save succeeds: a stale version shows the other
change and keeps the reviewer's edits to re-apply; a database outage keeps them and retries on
the next action.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from typing import Optional

import pandas as pd
import streamlit as st

from pages import _card_images as card_images
from pages import _field_note as field_note
from pages import _ui as ui
from services.domain.kinds import REVIEW_KINDS
from services.domain.people import Role
from services.domain.records import DocumentStatus
from services.domain.schema import Side
from services.review.desk import DATABASE_DOWN, Draft, edits_against, other_changes
from services.review.workflow import DocumentView, FieldView, StaleDocument

user = ui.require(Role.REVIEWER)
svc = ui.services()
desk = svc.desk
DRAFTS, BASES, STALE, REFUSED, OPENED = "review_drafts", "review_bases", "review_stale", "review_refused", \
    "review_opened"
NOTICE = "review_notice"  # what the last Save or Approve said, shown beside the buttons
# Per document, the record's value each input was last filled with: an input is filled again
# only when the record's value changes under it (a save that normalised what was typed, a
# re-applied draft, a derived field), so that a save redraws what changed, not every input.
SHOWN = "review_shown"
REFUSALS = "review_refusals"  # how many approvals this session had refused
WRITING = "review_writing"  # a lock: one Save or Approve at a time in a session
OPEN_STATUSES = (DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value)

# Rows are marked by their container's key (Streamlit turns it into a class `st-key-<key>`):
# `field-<flag>-<side>-<name>`, so that styling and the keys need no value in any HTML. The card
# panel stays in view while the fields scroll: its column is made sticky (the column, not the
# panel, since a column is only as tall as what it holds).
STYLE = """
<style>
div[class*="st-key-field-low_confidence-"] { border-left: 6px solid #ea8c00; background: #fff4e0;
  padding-left: .5rem; border-radius: .3rem; }
div[class*="st-key-field-failed_check-"] { border-left: 6px solid #dc2626; background: #fde8e8;
  padding-left: .5rem; border-radius: .3rem; }
div[data-testid="stColumn"]:has(div[class*="st-key-card-panel"]) { position: sticky; top: 3.75rem;
  align-self: flex-start; }
.vr-card { position: relative; overflow: auto; max-height: 78vh; border: 1px solid #ddd; border-radius: .3rem; }
.vr-card img { display: block; width: 100%; }
.vr-box { position: absolute; border: 2px solid transparent; border-radius: 2px; pointer-events: none; }
.vr-box.failed_check { border-color: rgba(220, 38, 38, .75); }
.vr-box.low_confidence { border-color: rgba(234, 140, 0, .75); }
.vr-box.ok { border-color: rgba(22, 163, 74, .35); }
.vr-box.focus { border: 3px solid #2563eb; box-shadow: 0 0 0 9999px rgba(37, 99, 235, .08); }
.vr-crop { width: 100%; background-repeat: no-repeat; border: 1px solid #ddd; border-radius: .2rem; }
""" + field_note.STYLE + """
</style>
"""
KEYBOARD = """
<script>
(function () {
  const doc = window.document;
  const FIELD = 'div[class*="st-key-field-"]';
  const LOOK = 'div[class*="st-key-field-low_confidence-"], div[class*="st-key-field-failed_check-"]';
  const EDITABLE = 'input:not([disabled]), textarea:not([disabled])';
  const rowKey = (el) => {
    const row = el && el.closest(FIELD);
    if (!row) return null;
    const cls = Array.from(row.classList).find(c => c.startsWith("st-key-field-"));
    return cls ? cls.split("-").slice(-2).join("-") : null;  // side-name
  };
  // The fields form's one primary button is Approve.
  const approveButton = () => doc.querySelector('div[class*="st-key-approve-"] button:not([disabled])')
    || doc.querySelector('button[data-testid="stBaseButton-primaryFormSubmit"]:not([disabled])');
  if (!doc.body.dataset.vrKeys) {
    doc.body.dataset.vrKeys = "1";
    doc.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
        // Ctrl+Enter approves from anywhere, inside a field too.
        const button = approveButton();
        if (!button) return;
        event.preventDefault();
        if (event.repeat) return;  // a held key approves once
        // A second press on the same document within a second approves once too (a refusal leaves
        // the button in place, so this is a short debounce, not a flag on the button); the next
        // document's button is another one (its key holds the document), pressed at once if need be.
        const holder = button.closest('div[class*="st-key-approve-"]');
        const which = holder ? Array.from(holder.classList).find(c => c.startsWith("st-key-approve-")) : "";
        const now = Date.now();
        if (which === window.vrApprovedKey && now - (window.vrApprovedAt || 0) < 1000) return;
        window.vrApprovedAt = now;
        window.vrApprovedKey = which;
        const active = doc.activeElement;
        const typing = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement;
        if (doc.activeElement instanceof HTMLElement) doc.activeElement.blur();
        // The blur lets the field being typed in reach the form first; the button is looked up
        // again at the click, since a rerender in between replaces it.
        const press = (tries) => {
          const approve = approveButton();
          if (approve) approve.click();
          else if (tries > 0) setTimeout(() => press(tries - 1), 100);
        };
        if (typing) setTimeout(() => press(20), 50);
        else press(20);
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
      const here = event.target;
      if (!(here instanceof HTMLInputElement || here instanceof HTMLTextAreaElement) || !here.closest(FIELD)) return;
      event.preventDefault();  // a value is one line: Enter moves on
      const all = Array.from(doc.querySelectorAll(FIELD + " " + EDITABLE));
      const looks = Array.from(doc.querySelectorAll(LOOK)).map(r => r.querySelector(EDITABLE)).filter(Boolean);
      const next = looks.find(el => all.indexOf(el) > all.indexOf(here));
      if (next) { next.focus(); if (next.select) next.select(); return; }
      const approve = approveButton();  // every field that needs a look is done: Approve is next
      if (approve) approve.focus();
    }, true);
    doc.addEventListener("focusin", function (event) {
      const key = rowKey(event.target);
      if (!key) return;
      doc.querySelectorAll(".vr-box.focus").forEach(b => b.classList.remove("focus"));
      doc.querySelectorAll('.vr-box[data-field="' + key + '"]').forEach(box => {
        box.classList.add("focus");
        const frame = box.closest(".vr-card");
        if (frame) frame.scrollTo({top: Math.max(0, box.offsetTop - frame.clientHeight / 3), behavior: "smooth"});
      });
    }, true);
  }
})();
</script>
"""


def row_key(f: FieldView) -> str:
    return f"field-{f.flag}-{f.side}-{f.name}"


def focus_script(f: FieldView, occasion: str) -> str:
    """Put the cursor in one field's input (the key is made of our own names only). `occasion`
    (the document and version, our own numbers) makes each script new: an element the same as the
    last run's is not drawn again, so its script would not run for the next document."""
    return _focus(f"div.st-key-{row_key(f)} input, div.st-key-{row_key(f)} textarea", occasion)


def focus_approve_script(occasion: str) -> str:
    return _focus('div[class*="st-key-approve-"] button', occasion)


def _focus(selector: str, occasion: str) -> str:
    # Tried a few times: the page may still be settling (a rerender drops focus to the body). Once
    # placed, focus elsewhere is the reviewer's own move (Enter, a click): never taken back.
    return (f"<script>/* {occasion} */ "
            "(function () { let tries = 0, held = 0, placed = false; const put = function () { "
            "const el = document.querySelector('" + selector + "'); const active = document.activeElement; "
            "if (el && active === el) { held += 1; } "
            "else if (placed && active && active !== document.body) { return; } "
            "else if (el) { placed = true; held = 0; el.focus(); if (el.select) el.select(); } "
            "if (held < 3 && ++tries < 32) setTimeout(put, 100); }; put(); })();</script>")


def state(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def close_document(message_key: Optional[str] = None, **values: object) -> None:
    document_id = st.session_state.pop("review_doc", None)
    for name in (DRAFTS, BASES, STALE, REFUSED, NOTICE, SHOWN):
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


def open_next(done_id: int, message_key: str, *, rerun: bool = True) -> None:
    """Leave this document for the next one in the queue (approve, skip): straight on. From a
    callback (`rerun=False`) the run that follows shows the next document."""
    for name in (DRAFTS, BASES, STALE, REFUSED, NOTICE, SHOWN):
        state(name).pop(done_id, None)
    st.session_state.pop("review_doc", None)
    following = svc.review.claim_next(user)
    if following is None:
        ui.flash("review.approved" if message_key == "review.next_opened" else "review.skipped", id=done_id)
    else:
        st.session_state["review_doc"] = following
        ui.flash(message_key, id=done_id)
    if rerun:
        st.rerun()


st.html(STYLE)
# Made in a page run, before any button of it can be pressed (callbacks may run side by side).
st.session_state.setdefault(WRITING, threading.Lock())
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
writable = view.status in OPEN_STATUSES and (view.claimed_by in (None, user.username) or user.is_lead)
title_row = st.container(horizontal=True, vertical_alignment="bottom")
title_row.title(ui.t("review.doc_title", id=document_id))
names = " + ".join(i.filename for i in view.images if i.filename)
if names:
    title_row.text(names)
ui.show_flash()
if toast := st.session_state.pop("review_toast", None):
    st.toast(ui.t(toast))
meta = st.container(horizontal=True, vertical_alignment="center")
meta.badge(ui.t(f"status.{view.status}"), color="blue")
if writable:
    chosen_kind = meta.selectbox(ui.t("review.kind"), [k.value for k in REVIEW_KINDS],
                                 index=[k.value for k in REVIEW_KINDS].index(view.kind) if view.kind in
                                 [k.value for k in REVIEW_KINDS] else len(REVIEW_KINDS) - 1,
                                 format_func=lambda k: ui.t(f"kind.{k}"), key=f"kind-{document_id}-{view.version}",
                                 width=200)
    if chosen_kind != view.kind:
        try:
            svc.review.set_kind(user, document_id, view.version, chosen_kind)
        except StaleDocument as exc:
            state(STALE)[document_id] = exc.current
        state(BASES).pop(document_id, None)
        st.rerun()
else:
    meta.badge(ui.t(f"kind.{view.kind}"), color="gray")
if view.claimed_by:
    # A badge's label is markdown: the user name goes in escaped.
    meta.badge(ui.t("review.claimed_by", name=ui.md_escape(view.claimed_by)), color="violet")
looks = [f for f in view.fields if f.needs_look]
meta.badge(ui.t("review.look", n=len({(f.side, f.name) for f in looks})), color="orange" if looks else "green")
meta.badge(ui.t("review.left", n=svc.review.remaining()), color="gray", icon=":material/inbox:")
for other, whats in view.duplicates:
    st.warning(ui.t("dup.warning", id=other, what=", ".join(ui.t(f"dup.{what}") for what in whats)))
if view.status == DocumentStatus.FAILED.value:
    st.error(ui.t("upload.failed"))
    st.text(view.error)


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
        open_next(document_id, "review.skipped_next")
if user.is_lead and view.status in (DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value):
    if actions.button(ui.t("review.reopen")):
        svc.review.reopen(user, document_id, view.version)
        st.rerun()
actions.caption(ui.t("review.keys"))

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
def card_html(document_id: int, image_id: int, boxes: tuple, _card: bytes, _fields: tuple[FieldView, ...],
              zoom: int, url: Optional[str]) -> str:
    # Keyed by what the overlay shows (each box and its flag), not by the version: a save that
    # changes no flag draws nothing new.
    return card_images.overlay_html(_card, list(_fields), zoom=zoom / 100,
                                    source=card_images.source_class(image_id), url=url)


def pictures_of(side: str, data: Optional[bytes]) -> dict[tuple[int, int, int, int], Optional[str]]:
    """Every field's crop on one side, by its box: windows onto the card the overlay sent."""
    image = card_images.image_for_side(view.images, side)
    if not data or image is None:
        return {}
    size = card_images.picture_size(data)
    source = card_images.source_class(image.id)
    return {box: card_images.crop_html(box, size, source)
            for box in {tuple(f.box) for f in base.fields if f.side == side and f.box}}


WIDE = ("address", "issued_at", "name")  # values that run long: the input wraps them


def input_key(f: FieldView) -> str:
    # The same key for the document's whole review: a widget whose key changes is a new widget,
    # and the browser builds it again.
    return f"in-{document_id}-{f.side}-{f.name}"


def fill(key: str, record_value: str, value: str) -> None:
    """Put `value` in an input before it is drawn, when the input is new or the record's value
    under it changed since it was last filled; otherwise the input keeps what it holds."""
    shown = state(SHOWN).setdefault(document_id, {})
    if key not in st.session_state or shown.get(key) != record_value:
        st.session_state[key] = value
        shown[key] = record_value


def field_row(f: FieldView, pictures: dict[tuple[int, int, int, int], Optional[str]]) -> None:
    # Three elements a row (the row, the input, the note with the flag and the crop): each one is
    # a message every run sends and the browser applies.
    with st.container(key=row_key(f), horizontal=True, vertical_alignment="top"):
        key = input_key(f)
        fill(key, f.current, draft.edits.get((f.side, f.name), f.current))
        options = dict(key=key, disabled=f.derived or not writable, max_chars=500, width="stretch",
                       help=ui.t("review.derived_help") if f.derived else None)
        if f.name in WIDE and not f.derived:
            st.text_area(ui.field_label(f.name), height=68, **options)
        else:
            st.text_input(ui.field_label(f.name), **options)
        input_keys[(f.side, f.name)] = key
        picture = pictures.get(tuple(f.box)) if f.box else None
        st.html(field_note.field_note(f, t=ui.t, reason=ui.reason, crop=picture), width=220)


refused_here = state(REFUSED).get(document_id)
refusals = {(s, n): reason for s, n, reason in refused_here or ()}
# A refused approval wrote nothing (its checks were rolled back with it): the fields it names
# are shown failing, with its reason, so that the screen and the refusal tell the same story.
fields = [replace(f, check_ok=False, check_reason=refusals[(f.side, f.name)]) if (f.side, f.name) in refusals else f
          for f in base.fields]
sides = [s.value for s in (Side.FRONT, Side.BACK) if any(f.side == s.value for f in fields)]
revision = f"{document_id}-{draft.base_version}"
card_column, form_column = st.columns([5, 6], gap="medium")

with card_column, st.container(key="card-panel"):
    zoom = st.slider(ui.t("review.zoom"), 100, 300, 100, step=25, format="%d%%", key="card-zoom")
    shown = False
    for side in sides:
        data = card(side)
        if data:
            shown = True
            st.caption(ui.t(f"side.{side}"))
            fields_here = tuple(f for f in fields if f.side == side)
            shown_image = card_images.image_for_side(view.images, side)
            image_id = shown_image.id if shown_image else 0
            # By address where the server has the route: a run then sends a line, not the picture.
            url = ui.card_url(document_id, image_id, hashlib.sha1(data).hexdigest()) if image_id else None
            st.html(card_html(document_id, image_id,
                              tuple((f.name, f.flag, tuple(f.box) if f.box else None) for f in fields_here),
                              data, fields_here, zoom, url))
    if not shown:
        for image in view.images:
            original = svc.review.image_bytes(document_id, image.id, aligned=False)
            if original:
                st.image(original, caption=ui.t(f"side.{image.side}"), width="stretch")

input_keys: dict[tuple[str, str], str] = {}  # each field's input, by its widget key
override_key = f"override-{document_id}"


def submit(action: str) -> None:
    """Save or Approve, as the buttons' callback: it runs before the next script run, so that one
    run shows the outcome (the next document, the saved values) instead of a run of the old page
    and a rerun."""
    # Streamlit starts the run of a second click (Ctrl+Enter right after Save) at once, beside
    # the first one's: one write at a time per session, the second one after the first.
    with st.session_state[WRITING]:
        _submit(action)


def _submit(action: str) -> None:
    # Edits are what differs from what the reviewer saw, not from what is current now: a value
    # someone else changed meanwhile is theirs, not this reviewer's to revert. What they saw is
    # the version their own save wrote when that save ran after this page was drawn (Approve
    # pressed while Save was still on its way).
    seen = base
    if draft.base_version != base.version:
        try:
            written = svc.review.view(document_id)
        except DATABASE_DOWN:
            written = base
        if written.version == draft.base_version:
            seen = written
    typed = {field: st.session_state.get(key, "") for field, key in input_keys.items()}
    draft.edits = edits_against(seen, typed)
    state(REFUSED).pop(document_id, None)
    state(NOTICE).pop(document_id, None)
    if action == "approve":
        outcome = desk.approve(user, draft, st.session_state.get(override_key, ""))
    else:
        outcome = desk.save(user, draft)
    if outcome.kind == "approved":
        open_next(document_id, "review.next_opened", rerun=False)
    elif outcome.kind == "saved":
        state(BASES).pop(document_id, None)  # the run reads the saved version
        st.session_state["review_toast"] = "review.saved"
    elif outcome.kind == "stale":
        state(STALE)[document_id] = outcome.current
    elif outcome.kind == "checks":
        # Counted, so that each refusal's focus script is new even when it names the same fields
        # (an element the same as the last run's is not drawn again, and its script not run).
        st.session_state[REFUSALS] = st.session_state.get(REFUSALS, 0) + 1
        state(REFUSED)[document_id] = list(outcome.fields)
    else:  # the database was away (the edits wait in the draft) or the write was refused
        state(NOTICE)[document_id] = (outcome.kind, outcome.message)


with form_column:
    if not fields:
        st.info(ui.t("review.no_fields"))
    with st.form(f"fields-{document_id}", enter_to_submit=False, border=False):
        for side in sides:
            st.subheader(ui.t(f"side.{side}"))
            pictures = pictures_of(side, card(side))
            here = [f for f in fields if f.side == side]
            for f in (f for f in here if f.applies):
                field_row(f, pictures)
            folded = [f for f in here if not f.applies]
            if folded:
                with st.expander(ui.t("review.not_applicable", kind=ui.t(f"kind.{view.kind}"), n=len(folded))):
                    for f in folded:
                        field_row(f, pictures)
        if writable:
            fill(override_key, draft.override_reason, draft.override_reason)
            st.text_input(ui.t("review.override"), key=override_key, help=ui.t("review.override_help"))
        if refused_here:
            # Next to the buttons, by label: what stands between the reviewer and approving.
            st.error(ui.t("review.fix_these"))
            st.text("\n".join(f"{ui.t(f'side.{s}')} · {ui.field_label(n)}: {ui.reason(reason)}"
                               for s, n, reason in refused_here))
        notice = state(NOTICE).get(document_id)
        if notice is not None:
            kind, message = notice
            if kind == "database":
                st.error(ui.t("review.db_down"))
                st.caption(ui.t("review.kept_edits"))
            else:
                st.error(ui.t("review.refused"))
                st.text(message)
        buttons = st.container(horizontal=True)
        buttons.form_submit_button(ui.t("review.save"), disabled=not writable, icon=":material/save:",
                                   on_click=submit, args=("save",))
        # Ctrl+Enter is bound once, by KEYBOARD (it commits the field being typed in first); a
        # Streamlit shortcut here as well made one keystroke submit twice.
        buttons.form_submit_button(ui.t("review.approve"), type="primary", disabled=not writable,
                                   icon=":material/done_all:", key=f"approve-{document_id}",
                                   on_click=submit, args=("approve",))

    if writable:
        with st.expander(ui.t("review.reject")):
            reason = st.text_input(ui.t("review.reject_reason"), key=f"reject-{document_id}")
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

st.html(KEYBOARD, unsafe_allow_javascript=True)
if refused_here:
    first = next((f for f in fields if (f.side, f.name) == tuple(refused_here[0][:2])), None)
    if first is not None:
        st.html(focus_script(first, f"{revision} refusal {st.session_state.get(REFUSALS, 0)}"),
                unsafe_allow_javascript=True)
elif writable and document_id not in state(OPENED):
    # A document just opened: the cursor starts in the first field that needs a look.
    state(OPENED)[document_id] = True
    first_look = next((f for f in fields if f.needs_look and not f.derived), None)
    # Nothing to look at: the cursor starts on Approve.
    st.html(focus_script(first_look, revision) if first_look is not None else focus_approve_script(revision),
            unsafe_allow_javascript=True)


if view.version != draft.base_version:
    if draft.edits:
        state(STALE)[document_id] = view
    else:
        start_over_on(view)
