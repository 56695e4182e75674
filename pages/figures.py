"""Figures (leads): documents per day by status, reviewer throughput, how often each field is
corrected, and correction rate against confidence, with the per-field thresholds beside it."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from pages import _ui as ui
from services.domain.people import Role
from services.domain.schema import SPECS_BY_NAME
from services.review.figures import Window
from services.review.workflow import ReviewError

user = ui.require(Role.LEAD)
svc = ui.services()
figures = svc.figures

st.title(ui.t("figures.title"))
days = st.select_slider(ui.t("figures.window"), options=(7, 14, 30, 90, 365), value=30, key="fig_days")
window = Window.last_days(int(days))


@st.cache_data(ttl=60, show_spinner=False)
def load(url: str, days: int) -> dict[str, pd.DataFrame]:
    # Keyed by the database and the window; figures may be a minute old.
    w = Window.last_days(days)
    return {
        "per_day": pd.DataFrame([vars(r) for r in figures.documents_per_day(w)], columns=["day", "key", "count"]),
        "throughput": pd.DataFrame([vars(r) for r in figures.reviewer_throughput(w)],
                                   columns=["day", "key", "count"]),
        "rates": pd.DataFrame([{"name": r.name, "reviewed": r.reviewed, "corrected": r.corrected, "rate": r.rate}
                               for r in figures.correction_rates(w)],
                              columns=["name", "reviewed", "corrected", "rate"]),
        "bins": pd.DataFrame([{"lower": b.lower, "fields": b.fields, "corrected": b.corrected, "rate": b.rate}
                              for b in figures.confidence_bins(w)],
                             columns=["lower", "fields", "corrected", "rate"]),
    }


data = load(svc.database.url, int(days))
thresholds = svc.thresholds.all()
default = svc.settings.default_threshold

left, right = st.columns(2)
with left:
    st.subheader(ui.t("figures.per_day"))
    frame = data["per_day"].assign(key=lambda d: d["key"].map(lambda s: ui.t(f"status.{s}")))
    if frame.empty:
        st.info(ui.t("figures.no_data"))
    else:
        st.altair_chart(alt.Chart(frame).mark_bar().encode(
            x=alt.X("day:T", title=ui.t("col.day")), y=alt.Y("count:Q", title=ui.t("col.documents")),
            color=alt.Color("key:N", title=ui.t("col.status"))), width="stretch")
with right:
    st.subheader(ui.t("figures.throughput"))
    frame = data["throughput"]
    if frame.empty:
        st.info(ui.t("figures.no_data"))
    else:
        st.altair_chart(alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("day:T", title=ui.t("col.day")), y=alt.Y("count:Q", title=ui.t("col.reviewed")),
            color=alt.Color("key:N", title=ui.t("col.reviewer"))), width="stretch")
        st.dataframe(frame.groupby("key", as_index=False)["count"].sum()
                     .rename(columns={"key": ui.t("col.reviewer"), "count": ui.t("col.reviewed")}),
                     hide_index=True)

left, right = st.columns(2)
with left:
    st.subheader(ui.t("figures.correction_rate"))
    frame = data["rates"]
    if frame.empty:
        st.info(ui.t("figures.no_data"))
    else:
        frame = frame.assign(label=frame["name"].map(ui.field_label))
        st.altair_chart(alt.Chart(frame).mark_bar().encode(
            y=alt.Y("label:N", sort="-x", title=None), x=alt.X("rate:Q", axis=alt.Axis(format="%"),
                                                             title=ui.t("col.correction_rate")),
            tooltip=["label", "reviewed", "corrected", alt.Tooltip("rate:Q", format=".1%")]), width="stretch")
with right:
    st.subheader(ui.t("figures.confidence"))
    st.caption(ui.t("figures.confidence_help"))
    frame = data["bins"]
    if frame.empty:
        st.info(ui.t("figures.no_data"))
    else:
        bars = alt.Chart(frame).mark_bar(opacity=0.8).encode(
            x=alt.X("lower:Q", bin=alt.Bin(step=0.05), title=ui.t("col.confidence"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title=ui.t("col.correction_rate")),
            tooltip=["lower", "fields", "corrected", alt.Tooltip("rate:Q", format=".1%")])
        rule = alt.Chart(pd.DataFrame({"x": [default]})).mark_rule(color="red", strokeDash=[4, 4]).encode(x="x:Q")
        st.altair_chart(bars + rule, width="stretch")

advice = figures.threshold_advice(window, thresholds, default)
for item in advice:
    st.warning(ui.t("figures.advice", field=ui.field_label(item.name), threshold=f"{item.threshold:.2f}",
                    rate=f"{item.rate:.0%}", n=item.above_fields))

st.subheader(ui.t("figures.thresholds"))
st.caption(ui.t("figures.thresholds_help", default=f"{default:.2f}"))
names = [name for name, spec in SPECS_BY_NAME.items() if spec.has_confidence]
with st.form("thresholds"):
    chosen: dict[str, float] = {}
    columns = st.columns(4)
    for index, name in enumerate(names):
        chosen[name] = columns[index % 4].number_input(
            ui.field_label(name), min_value=0.0, max_value=1.0, step=0.01, format="%.2f",
            value=float(thresholds.get(name, default)), key=f"thr-{name}")
    if st.form_submit_button(ui.t("figures.save_thresholds"), type="primary"):
        changed = 0
        try:
            for name, value in chosen.items():
                current = thresholds.get(name)
                if abs(value - default) < 1e-9 and current is None:
                    continue
                if current is None or abs(current - value) > 1e-9:
                    svc.thresholds.set(user, name, None if abs(value - default) < 1e-9 else value)
                    changed += 1
        except ReviewError as exc:
            st.error(ui.t("figures.threshold_error"))
            st.text(str(exc))
        else:
            st.success(ui.t("figures.thresholds_saved", n=changed))
