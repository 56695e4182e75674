"""Export (leads): filter, then build a CSV, Excel or JSON file on demand and download it.

The file is written to a temporary file by the export service, which streams rows from the
database in chunks; nothing is built on an ordinary rerun, only when "Prepare" is pressed.
"""

from __future__ import annotations

import tempfile
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import streamlit as st

from pages import _ui as ui
from services.domain.people import Role
from services.domain.records import DocumentFilter, DocumentStatus
from services.review.export import MEDIA_TYPES

user = ui.require(Role.LEAD)
svc = ui.services()
ZIP_ABOVE = 20_000  # documents: larger exports are offered zipped by default
PREPARED = "export_prepared"

st.title(ui.t("export.title"))
users = dict(svc.figures.users())  # id -> name

with st.form("export_filters"):
    left, right = st.columns(2)
    statuses = left.multiselect(ui.t("filter.status"), [s.value for s in DocumentStatus],
                                default=[DocumentStatus.APPROVED.value], format_func=lambda s: ui.t(f"status.{s}"),
                                placeholder=ui.t("filter.any"))
    kinds = right.multiselect(ui.t("filter.kind"), ("car", "motorbike", "unknown"),
                              format_func=lambda k: ui.t(f"kind.{k}"), placeholder=ui.t("filter.any"))
    reviewers = left.multiselect(ui.t("filter.reviewer"), list(users), format_func=lambda i: users[i],
                                 placeholder=ui.t("filter.any"))
    provinces = right.text_input(ui.t("filter.province"), placeholder="01, 79")
    days = left.date_input(ui.t("filter.dates"), value=())
    fmt = right.radio(ui.t("export.format"), ("csv", "xlsx", "json"), horizontal=True,
                      format_func=lambda f: {"csv": "CSV", "xlsx": "Excel", "json": "JSON"}[f])
    compress = st.checkbox(ui.t("export.zip"), value=False, help=ui.t("export.zip_help", n=ZIP_ABOVE))
    prepare = st.form_submit_button(ui.t("export.prepare"), type="primary")

if prepare:
    picked = tuple(days) if isinstance(days, (tuple, list)) else (days,)
    start = picked[0] if picked and isinstance(picked[0], date) else None
    end = picked[1] if len(picked) > 1 and isinstance(picked[1], date) else start
    flt = DocumentFilter(
        statuses=tuple(statuses), kinds=tuple(kinds),
        province_codes=tuple(p.strip() for p in provinces.split(",") if p.strip()),
        reviewer_ids=tuple(reviewers), created_from=start, created_to=end,
    )
    count = svc.export.count(flt)
    zipped = compress or count > ZIP_ABOVE
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = f"registrations-{stamp}.{fmt}"
    out_dir = Path(tempfile.mkdtemp(prefix="vr-export-"))
    path = out_dir / name
    with st.spinner(ui.t("export.building", n=count)):
        with open(path, "wb") as out:
            written = svc.export.write(flt, fmt, out)
        if zipped:
            zipped_path = out_dir / f"{name}.zip"
            with zipfile.ZipFile(zipped_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                archive.write(path, arcname=name)
            path.unlink()
            path, name = zipped_path, zipped_path.name
    previous = st.session_state.get(PREPARED)
    if previous:
        Path(previous["path"]).unlink(missing_ok=True)
    st.session_state[PREPARED] = {"path": str(path), "name": name, "count": written,
                                  "mime": "application/zip" if zipped else MEDIA_TYPES[fmt]}

prepared = st.session_state.get(PREPARED)
if prepared and Path(prepared["path"]).exists():
    st.success(ui.t("export.ready", n=prepared["count"]))
    st.text(prepared["name"])
    # A callable: the file is read when the button is pressed, not on every rerun.
    st.download_button(ui.t("export.download"), data=lambda p=prepared["path"]: Path(p).read_bytes(),
                       file_name=prepared["name"], mime=prepared["mime"], type="primary",
                       icon=":material/download:", on_click="ignore")
